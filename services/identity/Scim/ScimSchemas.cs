namespace Platform.Identity.Scim;

/// <summary>The User (with the enterprise extension) and Group schemas this service keeps (RFC 7643 sections 4 and 8.7).</summary>
internal static class ScimSchemas
{
    public const string User = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string Group = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public const string EnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    public const string ListResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    public const string PatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    private static ScimAttribute S(string name, bool caseExact = false, Mutability mutability = Mutability.ReadWrite, bool required = false) =>
        new(name, ScimType.String, CaseExact: caseExact, Mutability: mutability, Required: required);

    private static ScimAttribute B(string name) => new(name, ScimType.Boolean);

    private static ScimAttribute MultiValued(string name, params ScimAttribute[] sub) => new(name, ScimType.Complex, MultiValued: true, SubAttributes: sub);

    private static readonly ScimAttribute Meta = new("meta", ScimType.Complex, Mutability: Mutability.ReadOnly, SubAttributes:
    [
        S("resourceType", true, Mutability.ReadOnly), new("created", ScimType.DateTime, Mutability: Mutability.ReadOnly),
        new("lastModified", ScimType.DateTime, Mutability: Mutability.ReadOnly), new("location", ScimType.Reference, Mutability: Mutability.ReadOnly),
        S("version", true, Mutability.ReadOnly),
    ]);

    public static readonly ScimResourceSchema Users = new(User, "User", "/Users",
    [
        new("id", ScimType.String, CaseExact: true, Mutability: Mutability.ReadOnly, Returned: Returned.Always, Uniqueness: "server"),
        S("externalId", caseExact: true),
        new("userName", ScimType.String, Required: true, Uniqueness: "server"),
        new("name", ScimType.Complex, SubAttributes:
        [
            S("formatted"), S("familyName"), S("givenName"), S("middleName"), S("honorificPrefix"), S("honorificSuffix"),
        ]),
        S("displayName"), S("nickName"), new("profileUrl", ScimType.Reference), S("title"), S("userType"), S("preferredLanguage"), S("locale"), S("timezone"),
        B("active"),
        new("password", ScimType.String, Mutability: Mutability.WriteOnly, Returned: Returned.Never),
        MultiValued("emails", S("value"), S("display"), S("type"), B("primary")),
        MultiValued("phoneNumbers", S("value"), S("display"), S("type"), B("primary")),
        MultiValued("addresses", S("formatted"), S("streetAddress"), S("locality"), S("region"), S("postalCode"), S("country"), S("type"), B("primary")),
        MultiValued("roles", S("value"), S("display"), S("type"), B("primary")),
        new("groups", ScimType.Complex, MultiValued: true, Mutability: Mutability.ReadOnly, SubAttributes:
        [
            S("value", true, Mutability.ReadOnly), new("$ref", ScimType.Reference, Mutability: Mutability.ReadOnly),
            S("display", false, Mutability.ReadOnly), S("type", false, Mutability.ReadOnly),
        ]),
        Meta,
    ],
    EnterpriseUser,
    [
        S("employeeNumber"), S("costCenter"), S("organization"), S("division"), S("department"),
        new("manager", ScimType.Complex, SubAttributes: [S("value"), new("$ref", ScimType.Reference), S("displayName", false, Mutability.ReadOnly)]),
    ]);

    public static readonly ScimResourceSchema Groups = new(Group, "Group", "/Groups",
    [
        new("id", ScimType.String, CaseExact: true, Mutability: Mutability.ReadOnly, Returned: Returned.Always, Uniqueness: "server"),
        S("externalId", caseExact: true),
        new("displayName", ScimType.String, Required: true, Uniqueness: "server"),
        new("members", ScimType.Complex, MultiValued: true, SubAttributes:
        [
            new("value", ScimType.String, CaseExact: true, Mutability: Mutability.Immutable), new("$ref", ScimType.Reference, Mutability: Mutability.Immutable),
            S("display", false, Mutability.ReadOnly), new("type", ScimType.String, Mutability: Mutability.Immutable),
        ]),
        Meta,
    ]);
}
