using System.Collections.Concurrent;
using OpenIddict.EntityFrameworkCore.Models;

namespace Platform.Identity.Oidc;

/// <summary>
/// The OAuth clients (OpenIddict applications) this replica has read, shared by all its requests, so that a
/// client-credentials grant costs no database round trip for its client (issue 20). OpenIddict's own entity cache
/// lives one request. What is cached is the row, never a decision: every request still checks the secret, the
/// permissions and the scopes against it.
/// <para>
/// Correctness rests on invalidation: a trigger on <c>oidc."OpenIddictApplications"</c> NOTIFYs
/// <see cref="Channel"/> with the client id of every row updated or deleted (by any replica, the closure of an
/// organization, or by hand), <see cref="ClientCacheListener"/> LISTENs and drops that client here. The cache serves
/// only while the listener holds its LISTEN: it is emptied and bypassed from the moment the connection fails until
/// LISTEN runs again (a change meanwhile would go unheard). A read from the database that started before an
/// invalidation never fills the cache (<see cref="Generation"/>), so a stale row cannot come back.
/// </para>
/// </summary>
internal sealed class ClientCache
{
    /// <summary>The NOTIFY channel of the applications table's trigger (<c>OidcSchema</c> step 2).</summary>
    public const string Channel = "oidc_application_changed";

    /// <summary>Clients are created by Owners and Admins only; beyond this many the cache stops growing.</summary>
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, OpenIddictEntityFrameworkCoreApplication> clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> expected = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private long generation;
    private volatile bool listening;

    /// <summary>Whether the cache serves: the listener holds its LISTEN.</summary>
    public bool Listening => listening;

    /// <summary>Changes whenever anything is dropped; read it before a database read whose row may be cached.</summary>
    public long Generation => Interlocked.Read(ref generation);

    /// <summary>A copy of the cached row (the caller may attach or change it), or false when not cached or not serving.</summary>
    public bool TryGet(string clientId, out OpenIddictEntityFrameworkCoreApplication application)
    {
        if (listening && clients.TryGetValue(clientId, out var cached))
        {
            application = Copy(cached);
            return true;
        }

        application = null!;
        return false;
    }

    /// <summary>Remembers a row read from the database, unless something was dropped since <paramref name="readAt"/>.</summary>
    public void Add(OpenIddictEntityFrameworkCoreApplication application, long readAt)
    {
        if (application.ClientId is not { } clientId) return;
        lock (gate)
        {
            if (!listening || generation != readAt || clients.Count >= Capacity) return;
            clients[clientId] = Copy(application);
        }
    }

    /// <summary>Drops one client: this replica changed or deleted it.</summary>
    public void Invalidate(string clientId)
    {
        lock (gate)
        {
            generation++;
            clients.TryRemove(clientId, out _);
        }
    }

    /// <summary>The listener heard that a client changed or was deleted (by any replica).</summary>
    public void Heard(string clientId)
    {
        Invalidate(clientId);
        if (expected.TryRemove(clientId, out var waiter)) waiter.TrySetResult();
    }

    /// <summary>The listener lost its connection (or has not listened yet): empty, and serve nothing until <see cref="Resume"/>.</summary>
    public void Suspend()
    {
        lock (gate)
        {
            listening = false;
            generation++;
            clients.Clear();
        }
    }

    /// <summary>The listener's LISTEN is in place: from now on every change is heard.</summary>
    public void Resume()
    {
        lock (gate)
        {
            generation++;
            clients.Clear();
            listening = true;
        }
    }

    /// <summary>
    /// Waits (at most <paramref name="timeout"/>) until this replica's listener has heard the NOTIFY of a change to the
    /// client, which PostgreSQL sends every replica's listener at the same commit; start waiting before the change.
    /// Returns at once when the cache does not serve (nothing to drop).
    /// </summary>
    public Func<Task> ExpectChange(string clientId, TimeSpan timeout)
    {
        if (!listening) return () => Task.CompletedTask;
        var waiter = expected.GetOrAdd(clientId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return async () =>
        {
            try
            {
                await waiter.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                expected.TryRemove(new KeyValuePair<string, TaskCompletionSource>(clientId, waiter));
            }
        };
    }

    /// <summary>A detached copy of every column (the navigation collections stay empty).</summary>
    internal static OpenIddictEntityFrameworkCoreApplication Copy(OpenIddictEntityFrameworkCoreApplication source) => new()
    {
        Id = source.Id,
        ApplicationType = source.ApplicationType,
        ClientId = source.ClientId,
        ClientSecret = source.ClientSecret,
        ClientType = source.ClientType,
        ConcurrencyToken = source.ConcurrencyToken,
        ConsentType = source.ConsentType,
        DisplayName = source.DisplayName,
        DisplayNames = source.DisplayNames,
        JsonWebKeySet = source.JsonWebKeySet,
        Permissions = source.Permissions,
        PostLogoutRedirectUris = source.PostLogoutRedirectUris,
        Properties = source.Properties,
        RedirectUris = source.RedirectUris,
        Requirements = source.Requirements,
        Settings = source.Settings,
    };
}
