using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Identity.Data;

/// <summary>The service's own tables (the OpenIddict ones are created by <see cref="OidcDbContext"/>), idempotent.</summary>
internal static class IdentitySchema
{
    public const string Sql = """
        CREATE TABLE IF NOT EXISTS users (
            id text PRIMARY KEY,
            email text NOT NULL,
            email_normalized text NOT NULL UNIQUE,
            password_hash text NOT NULL,
            email_verified_at timestamptz,
            created_at timestamptz NOT NULL,
            failed_attempts integer NOT NULL DEFAULT 0,
            locked_until timestamptz,
            totp_secret bytea,
            totp_pending_secret bytea,
            totp_enrolled_at timestamptz,
            totp_last_step bigint
        );
        CREATE TABLE IF NOT EXISTS user_tokens (
            hash bytea PRIMARY KEY,
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            purpose text NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        );
        CREATE INDEX IF NOT EXISTS user_tokens_user ON user_tokens (user_id, purpose);
        CREATE TABLE IF NOT EXISTS recovery_codes (
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            hash bytea NOT NULL,
            used_at timestamptz,
            PRIMARY KEY (user_id, hash)
        );
        CREATE TABLE IF NOT EXISTS ip_throttle (
            ip text NOT NULL,
            window_start timestamptz NOT NULL,
            attempts integer NOT NULL,
            PRIMARY KEY (ip, window_start)
        );
        CREATE TABLE IF NOT EXISTS outgoing_mail (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            recipient text NOT NULL,
            subject text NOT NULL,
            body text NOT NULL,
            created_at timestamptz NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            last_error text,
            sent_at timestamptz
        );
        CREATE INDEX IF NOT EXISTS outgoing_mail_unsent ON outgoing_mail (next_attempt_at) WHERE sent_at IS NULL;
        CREATE TABLE IF NOT EXISTS organizations (
            id text PRIMARY KEY,
            name text NOT NULL,
            require_mfa boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS memberships (
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role text NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (org_id, user_id)
        );
        CREATE INDEX IF NOT EXISTS memberships_user ON memberships (user_id);
        CREATE TABLE IF NOT EXISTS invitations (
            id text PRIMARY KEY,
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            email_normalized text NOT NULL,
            role text NOT NULL,
            token_hash bytea NOT NULL UNIQUE,
            invited_by text NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            accepted_at timestamptz
        );
        CREATE TABLE IF NOT EXISTS resource_grants (
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            resource_type text NOT NULL,
            resource_id text NOT NULL,
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role text NOT NULL,
            granted_by text NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (org_id, resource_type, resource_id, user_id)
        );
        CREATE TABLE IF NOT EXISTS signing_keys (
            id text PRIMARY KEY,
            encrypted_key bytea NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS client_owners (
            client_id text PRIMARY KEY,
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL
        );
        -- Bumped by a password reset: every session cookie carries the generation it was issued under.
        ALTER TABLE users ADD COLUMN IF NOT EXISTS session_generation integer NOT NULL DEFAULT 0;
        -- The ASP.NET Core Data Protection key ring, shared by every replica; each element AES-GCM encrypted.
        CREATE TABLE IF NOT EXISTS data_protection_keys (
            name text PRIMARY KEY,
            encrypted_xml bytea NOT NULL,
            created_at timestamptz NOT NULL
        );
        """;

    // Second factors counted apart from passwords, per account and per client address; server-side sessions that
    // a session cookie names and signing out deletes (issue 14).
    private const string SessionsAndSecondFactors = """
        -- Wrong second factors, counted apart from passwords (a correct password does not clear them).
        ALTER TABLE users ADD COLUMN mfa_failed_attempts integer NOT NULL DEFAULT 0;
        ALTER TABLE users ADD COLUMN mfa_locked_until timestamptz;
        -- Wrong second factors per client address, in a window that opens at the address's first attempt.
        CREATE TABLE mfa_address_failures (
            ip text PRIMARY KEY,
            window_start timestamptz NOT NULL,
            attempts integer NOT NULL
        );
        -- Server-side sessions: a session cookie names its row, and signing out deletes it.
        CREATE TABLE sessions (
            id text PRIMARY KEY,
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        );
        CREATE INDEX sessions_user ON sessions (user_id);
        """;

    // Enterprise sign-in (issue 18): OIDC connections per organization (client secret sealed under the data key),
    // claimed and verified email domains (one organization per verified domain), the IdP subjects linked to users,
    // and the outstanding authorization requests (state stored as SHA-256, spent once).
    private const string SingleSignOn = """
        CREATE TABLE sso_connections (
            id text PRIMARY KEY,
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            name text NOT NULL,
            issuer text NOT NULL,
            client_id text NOT NULL,
            client_secret bytea NOT NULL,
            scopes text NOT NULL,
            default_role text NOT NULL,
            authorization_endpoint text NOT NULL,
            token_endpoint text NOT NULL,
            jwks_uri text NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX sso_connections_org ON sso_connections (org_id);
        CREATE TABLE sso_domains (
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            domain text NOT NULL,
            connection_id text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            verification_token text NOT NULL,
            verified_at timestamptz,
            sso_only boolean NOT NULL DEFAULT false,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (org_id, domain)
        );
        -- A domain is verified by one organization at most.
        CREATE UNIQUE INDEX sso_domains_verified ON sso_domains (domain) WHERE verified_at IS NOT NULL;
        CREATE TABLE sso_identities (
            connection_id text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            subject text NOT NULL,
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at timestamptz NOT NULL,
            PRIMARY KEY (connection_id, subject)
        );
        CREATE TABLE sso_logins (
            state_hash bytea PRIMARY KEY,
            connection_id text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            nonce text NOT NULL,
            code_verifier bytea NOT NULL,
            return_url text,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        );
        """;

    // SAML 2.0 connections (issue 18 item 4): a SAML connection is a row of sso_connections (protocol 'saml'; its issuer
    // is the IdP's entity id and its authorization endpoint the IdP's SSO URL, the OIDC-only columns empty), so domains,
    // linked subjects and deletion work for both; the IdP's signing certificates (DER, several during a rollover), the
    // outstanding AuthnRequests (bound to the browser by a cookie's SHA-256, spent once) and the assertion ids already
    // accepted (kept until the assertion's NotOnOrAfter) live beside it.
    private const string Saml = """
        ALTER TABLE sso_connections ADD COLUMN protocol text NOT NULL DEFAULT 'oidc';
        CREATE TABLE saml_connections (
            connection_id text PRIMARY KEY REFERENCES sso_connections(id) ON DELETE CASCADE,
            idp_entity_id text NOT NULL,
            sso_url text NOT NULL,
            certificates bytea[] NOT NULL,
            allow_idp_initiated boolean NOT NULL DEFAULT false
        );
        CREATE TABLE saml_requests (
            id text PRIMARY KEY,
            connection_id text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            browser_hash bytea NOT NULL,
            return_url text,
            created_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            used_at timestamptz
        );
        CREATE INDEX saml_requests_expiry ON saml_requests (expires_at);
        CREATE TABLE saml_assertions (
            connection_id text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            assertion_id text NOT NULL,
            expires_at timestamptz NOT NULL,
            PRIMARY KEY (connection_id, assertion_id)
        );
        CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);
        """;

    // SCIM 2.0 provisioning (issue 18 item 6): one bearer token per organization (SHA-256 only), the SCIM view of the
    // organization's provisioned users (the resource as sent, with the columns filters and uniqueness need), groups
    // and their members, and the Owner's group -> role mappings.
    private const string Scim = """
        CREATE TABLE scim_tokens (
            org_id text PRIMARY KEY REFERENCES organizations(id) ON DELETE CASCADE,
            token_hash bytea NOT NULL UNIQUE,
            hint text NOT NULL,
            default_role text NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE TABLE scim_users (
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            user_name text NOT NULL,
            user_name_normalized text NOT NULL,
            external_id text,
            active boolean NOT NULL,
            resource jsonb NOT NULL,
            created_account boolean NOT NULL,
            version bigint NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (org_id, user_id)
        );
        -- userName is unique per organization, case-insensitively (RFC 7643 section 4.1.1, caseExact false).
        CREATE UNIQUE INDEX scim_users_user_name ON scim_users (org_id, user_name_normalized);
        CREATE INDEX scim_users_listing ON scim_users (org_id, created_at, user_id);
        CREATE TABLE scim_groups (
            id text PRIMARY KEY,
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            display_name text NOT NULL,
            display_name_normalized text NOT NULL,
            external_id text,
            version bigint NOT NULL,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL
        );
        CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (org_id, display_name_normalized);
        CREATE TABLE scim_group_members (
            group_id text NOT NULL REFERENCES scim_groups(id) ON DELETE CASCADE,
            org_id text NOT NULL,
            user_id text NOT NULL,
            PRIMARY KEY (group_id, user_id),
            FOREIGN KEY (org_id, user_id) REFERENCES scim_users(org_id, user_id) ON DELETE CASCADE
        );
        CREATE INDEX scim_group_members_user ON scim_group_members (org_id, user_id);
        -- A SCIM group (by id or display name, lower-cased) gives its members a role; never Owner.
        CREATE TABLE scim_role_mappings (
            org_id text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            group_ref text NOT NULL,
            role text NOT NULL CHECK (role IN ('Admin', 'Developer', 'Viewer', 'Auditor')),
            PRIMARY KEY (org_id, group_ref)
        );
        """;

    /// <summary>
    /// Issue 18: an OIDC or SAML connection's IdP groups mapped to roles at each sign-in (never Owner), the claim or
    /// attribute that carries them, and the issuer's userinfo endpoint (read when the ID token lacks a claim).
    /// </summary>
    private const string SsoGroupRoles = """
        ALTER TABLE sso_connections ADD COLUMN groups_claim text NOT NULL DEFAULT 'groups';
        ALTER TABLE sso_connections ADD COLUMN userinfo_endpoint text;
        CREATE TABLE sso_role_mappings (
            connection_id text NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            idp_group text NOT NULL,
            role text NOT NULL CHECK (role IN ('Admin', 'Developer', 'Viewer', 'Auditor')),
            PRIMARY KEY (connection_id, idp_group)
        );
        """;

    /// <summary>The tables as versioned steps: a change is a new step, never an edit of a released one. Step 1 is idempotent,
    /// so it adopts a database made before steps were versioned.</summary>
    // Account closure (SPEC RET-CLOSE): an organization closing (read-only during the grace period) or closed, as
    // retention announces it. The previous version neither reads nor writes it.
    private const string ClosingOrganizations = """
        CREATE TABLE closing_organizations (
            organization_id text        PRIMARY KEY,
            closure_id      text        NOT NULL,
            status          text        NOT NULL CHECK (status IN ('closing', 'closed')),
            grace_ends_at   timestamptz NOT NULL,
            recorded_at     timestamptz NOT NULL
        );
        """;

    // SAML service-provider keys (issue 18 item 2): per connection a signing and an encryption key pair, generated here
    // (self-signed certificate; the private key sealed under the data key like connection secrets), 'current', plus
    // 'next' during an Owner's rollover (both published in the SP metadata); and whether the IdP wants signed
    // AuthnRequests (its metadata's WantAuthnRequestsSigned).
    private const string SamlSpKeys = """
        ALTER TABLE saml_connections ADD COLUMN want_authn_requests_signed boolean NOT NULL DEFAULT false;
        CREATE TABLE saml_sp_keys (
            connection_id text        NOT NULL REFERENCES sso_connections(id) ON DELETE CASCADE,
            use           text        NOT NULL CHECK (use IN ('signing', 'encryption')),
            state         text        NOT NULL CHECK (state IN ('current', 'next')),
            certificate   bytea       NOT NULL,
            sealed_key    bytea       NOT NULL,
            created_at    timestamptz NOT NULL,
            PRIMARY KEY (connection_id, use, state)
        );
        """;

    // Whether a SAML connection wants every assertion signed by the IdP itself (issue 18 item 4; the SP metadata's
    // WantAssertionsSigned): on by default and for every connection made before; off, a Response signature alone (over
    // the assertion, or over an EncryptedAssertion, encrypt-then-sign) suffices. The previous version does not read it.
    private const string SamlWantAssertionsSigned = """
        ALTER TABLE saml_connections ADD COLUMN want_assertions_signed boolean NOT NULL DEFAULT true;
        """;

    // Sessions a person can list and end (issue 19 item 2): where and with what each was signed in and last seen, and
    // the OpenIddict authorizations (token families) each started, so that ending one revokes its refresh tokens.
    // The previous version neither reads nor writes the new columns or table.
    private const string SessionDetails = """
        ALTER TABLE sessions ADD COLUMN user_agent text;
        ALTER TABLE sessions ADD COLUMN ip text;
        ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz;
        CREATE TABLE session_authorizations (
            session_id       text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            authorization_id text NOT NULL,
            PRIMARY KEY (session_id, authorization_id)
        );
        """;

    // A rotated OAuth client secret's overlap (issue 19 item 2): the secret replaced by the latest rotation (its SHA-256,
    // as OpenIddict stores the current one) and until when it still authenticates the client. The previous version
    // neither reads nor writes them (its rotations refuse the old secret at once).
    private const string ClientSecretOverlap = """
        ALTER TABLE client_owners ADD COLUMN previous_secret text;
        ALTER TABLE client_owners ADD COLUMN previous_secret_until timestamptz;
        """;

    public static readonly Schema Definition = new(
        "identity",
        SchemaStep.Sql(1, "baseline", Sql),
        SchemaStep.Sql(2, "sessions and second-factor counters", SessionsAndSecondFactors),
        SchemaStep.Sql(3, "single sign-on", SingleSignOn),
        SchemaStep.Sql(4, "saml", Saml),
        SchemaStep.Sql(5, "scim", Scim),
        SchemaStep.Sql(6, "sso group roles", SsoGroupRoles),
        SchemaStep.Sql(7, "closing organizations", ClosingOrganizations),
        SchemaStep.Sql(8, "saml sp keys", SamlSpKeys),
        SchemaStep.Sql(9, "session details", SessionDetails),
        SchemaStep.Sql(10, "saml want assertions signed", SamlWantAssertionsSigned),
        SchemaStep.Sql(11, "client secret overlap", ClientSecretOverlap));

    public static Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SchemaMigrations.ApplyAsync(dataSource, Definition, EmptyServices.Instance, cancellationToken);
}
