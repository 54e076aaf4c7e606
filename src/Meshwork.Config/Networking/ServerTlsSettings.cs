using Meshwork.Config.Binding;
using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.ServerTLSSettings: TLS a Gateway server or a Sidecar ingress listener terminates.</summary>
public sealed record ServerTlsSettings
{
    public bool HttpsRedirect { get; init; }

    public ServerTlsMode Mode { get; init; }

    public string ServerCertificate { get; init; } = string.Empty;

    public string PrivateKey { get; init; } = string.Empty;

    public string CaCertificates { get; init; } = string.Empty;

    public string CaCrl { get; init; } = string.Empty;

    public string CredentialName { get; init; } = string.Empty;

    public ValueList<string> CredentialNames { get; init; }

    public ValueList<TlsCertificate> TlsCertificates { get; init; }

    public ValueList<string> SubjectAltNames { get; init; }

    public ValueList<string> VerifyCertificateSpki { get; init; }

    public ValueList<string> VerifyCertificateHash { get; init; }

    public TlsProtocol MinProtocolVersion { get; init; }

    public TlsProtocol MaxProtocolVersion { get; init; }

    public ValueList<string> CipherSuites { get; init; }

    public string CaCertCredentialName { get; init; } = string.Empty;

    /// <summary>Accept a client certificate that fails validation (Gateway API's AllowInsecureFallback).</summary>
    public bool? InsecureSkipVerify { get; init; }
}

/// <summary>ServerTLSSettings.TLSCertificate: one of several certificates a server presents.</summary>
public sealed record TlsCertificate
{
    public string ServerCertificate { get; init; } = string.Empty;

    public string PrivateKey { get; init; } = string.Empty;

    public string CaCertificates { get; init; } = string.Empty;
}

/// <summary>ServerTLSSettings.TLSmode.</summary>
public enum ServerTlsMode
{
    Passthrough = 0,
    Simple = 1,
    Mutual = 2,
    AutoPassthrough = 3,
    IstioMutual = 4,
    OptionalMutual = 5,
}

/// <summary>ServerTLSSettings.TLSProtocol.</summary>
public enum TlsProtocol
{
    TlsAuto = 0,
    [WireName("TLSV1_0")]
    Tlsv10 = 1,
    [WireName("TLSV1_1")]
    Tlsv11 = 2,
    [WireName("TLSV1_2")]
    Tlsv12 = 3,
    [WireName("TLSV1_3")]
    Tlsv13 = 4,
}
