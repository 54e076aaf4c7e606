namespace Meshwork.Pilot.Xds;

/// <summary>
/// What one connection asked for of one type and where the exchange stands: Istio's WatchedResource.
/// Touched only by the connection's own loop, so it needs no lock.
/// </summary>
public sealed class WatchedResource(string typeUrl)
{
    public string TypeUrl { get; } = typeUrl;

    /// <summary>True when the proxy asked for every resource of the type (an empty first LDS/CDS request).</summary>
    public bool Wildcard { get; set; }

    private SubscribedNames _sealed = SubscribedNames.Empty;
    private HashSet<string>? _changing;

    /// <summary>The names subscribed to (without the wildcard).</summary>
    public IReadOnlySet<string> Names => (IReadOnlySet<string>?)_changing ?? _sealed;

    /// <summary>Adds a subscribed name; true when it is new.</summary>
    public bool AddName(string name) => !Names.Contains(name) && Changing().Add(name);

    /// <summary>Removes a subscribed name; true when it was there.</summary>
    public bool RemoveName(string name) => Names.Contains(name) && Changing().Remove(name);

    /// <summary>Replaces the subscribed names.</summary>
    public void SetNames(IEnumerable<string> names)
    {
        _changing = new HashSet<string>(names, StringComparer.Ordinal);
    }

    /// <summary>
    /// Ends a change of names: the set becomes immutable, and <paramref name="intern"/> may swap it
    /// for an equal one other connections already hold.
    /// </summary>
    internal void Seal(Func<SubscribedNames, SubscribedNames> intern)
    {
        if (_changing != null)
        {
            _sealed = intern(new SubscribedNames(_changing));
            _changing = null;
        }
    }

    private HashSet<string> Changing() => _changing ??= new HashSet<string>(_sealed, StringComparer.Ordinal);

    public string NonceSent { get; set; } = string.Empty;

    public string VersionSent { get; set; } = string.Empty;

    public string VersionAcked { get; set; } = string.Empty;

    public string NonceAcked { get; set; } = string.Empty;

    /// <summary>The proxy's reason for its last NACK, cleared by the next ACK.</summary>
    public string? LastNack { get; set; }

    public DateTimeOffset? LastSent { get; set; }

    /// <summary>When the change behind the last pushed response began; cleared by its ACK (and by any later response).</summary>
    public DateTimeOffset? PushPendingSince { get; set; }

    /// <summary>Versions of the resources last sent, by name: what the proxy holds (delta xDS diffs against it).</summary>
    public SentResources Sent { get; } = new();

    /// <summary>
    /// The fingerprint of the generated output the proxy was last brought in line with (sent, or found
    /// to differ in nothing), while the subscription and <see cref="Sent"/> are unchanged since:
    /// a push that generates the same output again has nothing to send. Null when unknown.
    /// </summary>
    public string? InSyncWith { get; set; }

    /// <summary>Records a response just written: what it was generated from, its nonce and version, and when.</summary>
    public void Responded(string? fingerprint, string nonce, string version, DateTimeOffset now)
    {
        InSyncWith = fingerprint;
        NonceSent = nonce;
        VersionSent = version;
        LastSent = now;
        PushPendingSince = null;
    }

    /// <summary>The names to generate: null for everything (wildcard). Sealed first (<see cref="Seal"/>).</summary>
    public IReadOnlySet<string>? Requested => Wildcard ? null : Names;
}
