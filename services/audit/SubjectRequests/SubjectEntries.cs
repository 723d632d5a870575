namespace Platform.Audit.SubjectRequests;

/// <summary>Which entries of an organization are about a person: they acted, they were the target, or a detail names them.</summary>
internal static class SubjectEntries
{
    public const string Participant = "audit";

    // $1 organization, $2 the person's user id.
    public const string About = """
        organization_id = $1 AND (actor = $2 OR target = $2 OR (details IS NOT NULL AND jsonb_path_exists(details, '$.* ? (@ == $u)', jsonb_build_object('u', $2::text))))
        """;
}
