namespace Meshwork.Proxy.Security;

/// <summary>The workload key algorithm the agent generates (Istio's ECC_SIGNATURE_ALGORITHM / RSA default).</summary>
public enum WorkloadKeyType
{
    EcdsaP256,
    Rsa2048,
}

/// <summary>The certificate agent's settings, from mesh-proxy's <c>--ca-*</c> flags; present only when <c>--ca-address</c> is given.</summary>
public sealed record AgentOptions
{
    /// <summary>meshd's secure address (HOST:PORT) serving CreateCertificate over TLS.</summary>
    public required string CaAddress { get; init; }

    /// <summary>The PEM root meshd's serving certificate must chain to (Istio's mounted root-cert.pem).</summary>
    public required string RootCertFile { get; init; }

    /// <summary>The bootstrap JWT file, re-read before each request as Istio re-reads the projected token; may be null when renewal alone is expected.</summary>
    public string? TokenFile { get; init; }

    public WorkloadKeyType KeyType { get; init; } = WorkloadKeyType.EcdsaP256;

    /// <summary>The validity requested (Istio's SECRET_TTL, 24 h).</summary>
    public TimeSpan CertTtl { get; init; } = TimeSpan.FromHours(24);

    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>A Unix socket path on which SDS is served for an Envoy, or null.</summary>
    public string? SdsSocket { get; init; }
}
