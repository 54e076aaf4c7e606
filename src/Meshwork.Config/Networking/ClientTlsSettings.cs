using Meshwork.Config.Values;

namespace Meshwork.Config.Networking;

/// <summary>istio.networking.v1alpha3.ClientTLSSettings: TLS the proxy originates to the upstream.</summary>
public sealed record ClientTlsSettings
{
    public ClientTlsMode Mode { get; init; }

    public string ClientCertificate { get; init; } = string.Empty;

    public string PrivateKey { get; init; } = string.Empty;

    public string CaCertificates { get; init; } = string.Empty;

    public string CredentialName { get; init; } = string.Empty;

    public ValueList<string> SubjectAltNames { get; init; }

    public string Sni { get; init; } = string.Empty;

    public bool? InsecureSkipVerify { get; init; }

    public string CaCrl { get; init; } = string.Empty;
}

/// <summary>ClientTLSSettings.TLSmode.</summary>
public enum ClientTlsMode
{
    Disable = 0,
    Simple = 1,
    Mutual = 2,
    IstioMutual = 3,
}
