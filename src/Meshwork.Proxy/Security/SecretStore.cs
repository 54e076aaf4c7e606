using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Proxy.Security;

/// <summary>
/// The workload's certificate as the <c>default</c> SDS secret: the leaf with its key, the chain
/// above it, and the certificate context every handshake reuses. Built once per issuance and never changed.
/// </summary>
public sealed class WorkloadCertificate
{
    public WorkloadCertificate(X509Certificate2 leafWithKey, IReadOnlyList<X509Certificate2> chain, string version, DateTimeOffset lastUpdated)
    {
        Leaf = leafWithKey;
        Chain = chain;
        Version = version;
        LastUpdated = lastUpdated;

        // Intermediates go with the leaf; the root stays out, as the peer holds it already.
        var intermediates = new X509Certificate2Collection();
        intermediates.AddRange(chain.Skip(1).Take(Math.Max(0, chain.Count - 2)).ToArray());
        Context = SslStreamCertificateContext.Create(leafWithKey, intermediates, offline: true);
    }

    public X509Certificate2 Leaf { get; }

    /// <summary>Leaf first, root last, as CreateCertificate returned it.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    public string Version { get; }

    public DateTimeOffset LastUpdated { get; }

    /// <summary>The certificate context both sides of a handshake present (server, and mTLS client).</summary>
    public SslStreamCertificateContext Context { get; }
}

/// <summary>The mesh trust bundle as the <c>ROOTCA</c> SDS secret: the configured root plus the root of the latest chain.</summary>
public sealed record TrustBundle(X509Certificate2Collection Roots, string Version, DateTimeOffset LastUpdated);

/// <summary>
/// The secrets the agent keeps for the proxy's TLS contexts, read at handshake time: a rotation is
/// one reference swap, so the next handshake uses it while open connections keep theirs.
/// </summary>
/// <param name="active">Whether the certificate agent runs; without it the store supplies nothing.</param>
public sealed class SecretStore(bool active)
{
    public const string DefaultSecret = "default";
    public const string RootSecret = "ROOTCA";

    private volatile WorkloadCertificate? _certificate;
    private volatile TrustBundle? _roots;
    private long _version;

    /// <summary>Raised after either secret changes (SDS pushes then).</summary>
    public event Action? Changed;

    public WorkloadCertificate? Certificate => _certificate;

    public TrustBundle? Roots => _roots;

    public bool IsActive => active;

    /// <summary>Whether <paramref name="name"/> is a secret this store supplies (others stay unavailable).</summary>
    public bool Supplies(string name) => active && (name is DefaultSecret or RootSecret);

    public string NextVersion() => Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void SetCertificate(WorkloadCertificate? certificate)
    {
        _certificate = certificate;
        Changed?.Invoke();
    }

    public void SetRoots(TrustBundle roots)
    {
        _roots = roots;
        Changed?.Invoke();
    }
}
