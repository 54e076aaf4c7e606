using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Meshwork.Proxy.Security;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// A chain's TLS termination (Envoy's DownstreamTlsContext on the envoy.transport_sockets.tls
/// transport socket), compiled when config is applied: certificates and CAs loaded from their
/// files then, so every handshake only picks a prebuilt certificate context by SNI. The SDS secrets
/// <c>default</c> and <c>ROOTCA</c> come from the certificate agent's <see cref="SecretStore"/> and
/// are looked up at each handshake, so a rotated certificate serves the next handshake with no
/// config change. Other SDS names (Istio's <c>kubernetes://credentialName</c>), or these without the
/// agent, cannot be fetched: the config is accepted, as Envoy accepts a listener whose secrets have
/// not arrived, and each handshake on that chain is refused (Envoy's downstream_context_secrets_not_ready).
/// </summary>
public sealed class DownstreamTls
{
    public const string TransportSocketName = "envoy.transport_sockets.tls";

    private readonly ServerCertificate[] _certificates;
    private readonly ClientCertificateCheck? _clientCheck;
    private readonly List<SslApplicationProtocol> _alpn;
    private readonly SslProtocols _protocols;
    private readonly CipherSuitesPolicy? _cipherSuites;
    private readonly string? _certificateSecret;
    private readonly string? _caSecret;

    private DownstreamTls(
        ServerCertificate[] certificates,
        ClientCertificateCheck? clientCheck,
        bool requireClientCertificate,
        bool requireSni,
        IReadOnlyList<string> applicationProtocols,
        SslProtocols protocols,
        CipherSuitesPolicy? cipherSuites,
        IReadOnlyList<string> pendingSecrets,
        string? certificateSecret,
        string? caSecret)
    {
        _certificateSecret = certificateSecret;
        _caSecret = caSecret;
        _certificates = certificates;
        _clientCheck = clientCheck;
        RequireClientCertificate = requireClientCertificate;
        RequireSni = requireSni;
        ApplicationProtocols = applicationProtocols;
        _alpn = applicationProtocols.Select(p => new SslApplicationProtocol(p)).ToList();
        _protocols = protocols;
        _cipherSuites = cipherSuites;
        PendingSecrets = pendingSecrets;
    }

    /// <summary>The ALPN protocols offered, in order (what the context says, or the HTTP default).</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; }

    public bool RequireClientCertificate { get; }

    public bool RequireSni { get; }

    /// <summary>SDS secrets the context names; those the secret store does not supply make every handshake refused.</summary>
    public IReadOnlyList<string> PendingSecrets { get; }

    public SslProtocols EnabledProtocols => _protocols;

    /// <summary>Compiles the transport socket of a chain; <paramref name="where"/> names listener and chain for messages.</summary>
    public static DownstreamTls Compile(TransportSocket socket, string where, IReadOnlyList<string> defaultAlpn)
    {
        where = $"{where}: transport_socket";
        if (socket.Name != TransportSocketName && socket.TypedConfig?.TypeUrl.EndsWith(DownstreamTlsContext.Descriptor.FullName, StringComparison.Ordinal) != true)
        {
            throw new ProxyConfigException($"{where} \"{socket.Name}\": only {TransportSocketName} is supported");
        }

        if (socket.TypedConfig == null || !socket.TypedConfig.TryUnpack<DownstreamTlsContext>(out var context))
        {
            throw new ProxyConfigException($"{where} \"{socket.Name}\": typed_config must be a {DownstreamTlsContext.Descriptor.FullName}");
        }

        return Compile(context, where, defaultAlpn);
    }

    public static DownstreamTls Compile(DownstreamTlsContext context, string where, IReadOnlyList<string> defaultAlpn)
    {
        var common = context.CommonTlsContext ?? new CommonTlsContext();
        var pending = new List<string>();
        if (common.TlsCertificateProviderInstance != null)
        {
            throw new ProxyConfigException($"{where}: common_tls_context.tls_certificate_provider_instance: certificate providers are not supported by mesh-proxy");
        }

        var certificates = common.TlsCertificates
            .Select((c, i) => TlsDataSources.LoadCertificate(c, $"{where}: common_tls_context.tls_certificates[{i}]"))
            .ToArray();
        pending.AddRange(common.TlsCertificateSdsSecretConfigs.Select(s => s.Name));
        if (certificates.Length == 0 && pending.Count == 0)
        {
            throw new ProxyConfigException($"{where}: common_tls_context: no tls_certificates or tls_certificate_sds_secret_configs; a server needs a certificate");
        }

        var certificateSecret = certificates.Length == 0 ? common.TlsCertificateSdsSecretConfigs[0].Name : null;
        var validationWhere = $"{where}: common_tls_context.validation_context";
        ClientCertificateCheck? check = null;
        string? caSecret = null;
        switch (common.ValidationContextTypeCase)
        {
            case CommonTlsContext.ValidationContextTypeOneofCase.ValidationContext:
                check = ClientCertificateCheck.Compile(common.ValidationContext, validationWhere);
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.ValidationContextSdsSecretConfig:
                caSecret = common.ValidationContextSdsSecretConfig.Name;
                pending.Add(caSecret);
                check = ClientCertificateCheck.Compile(new CertificateValidationContext(), validationWhere, caFromSecret: true);
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.CombinedValidationContext:
                var combined = common.CombinedValidationContext;
                caSecret = combined.ValidationContextSdsSecretConfig?.Name ?? "(combined_validation_context without a secret name)";
                pending.Add(caSecret);
                check = ClientCertificateCheck.Compile(combined.DefaultValidationContext ?? new CertificateValidationContext(), $"{where}: common_tls_context.combined_validation_context.default_validation_context", caFromSecret: true);
                break;
        }

        var requireClient = context.RequireClientCertificate ?? false;
        if (requireClient && common.ValidationContextTypeCase == CommonTlsContext.ValidationContextTypeOneofCase.None)
        {
            throw new ProxyConfigException($"{where}: require_client_certificate needs a validation_context to check the certificate against");
        }

        var alpn = common.AlpnProtocols.Count > 0 ? common.AlpnProtocols.ToArray() : defaultAlpn;
        var (protocols, ciphers) = TlsParameterTranslation.Translate(common.TlsParams, $"{where}: common_tls_context.tls_params");
        return new DownstreamTls(certificates, check, requireClient, context.RequireSni ?? false, alpn, protocols, ciphers, pending, certificateSecret, caSecret);
    }

    /// <summary>
    /// The options for one handshake with a client that sent <paramref name="serverName"/>, or false
    /// with the reason when this chain cannot serve it (secrets not ready, SNI required but absent):
    /// the caller then closes the connection. SDS secrets are read from <paramref name="secrets"/> now,
    /// so each handshake gets the certificate current at that moment.
    /// </summary>
    public bool TryCreateOptions(string? serverName, SecretStore? secrets, out SslServerAuthenticationOptions options, out string refusal)
    {
        options = null!;
        foreach (var name in PendingSecrets)
        {
            if (secrets == null || !secrets.Supplies(name))
            {
                refusal = $"secrets not ready: SDS secret \"{name}\" cannot be resolved (mesh-proxy has no SDS client)";
                return false;
            }
        }

        SslStreamCertificateContext certificate;
        if (_certificateSecret != null)
        {
            if (secrets!.Certificate is not { } workload)
            {
                refusal = $"secrets not ready: SDS secret \"{_certificateSecret}\" has not arrived (no workload certificate yet)";
                return false;
            }

            certificate = workload.Context;
        }
        else
        {
            certificate = CertificateFor(serverName).Context;
        }

        X509Certificate2Collection? roots = null;
        if (_caSecret != null)
        {
            if (secrets!.Roots is not { } bundle)
            {
                refusal = $"secrets not ready: SDS secret \"{_caSecret}\" has not arrived (no trust bundle yet)";
                return false;
            }

            roots = bundle.Roots;
        }

        if (RequireSni && string.IsNullOrEmpty(serverName))
        {
            refusal = "require_sni is set and the client sent no SNI";
            return false;
        }

        refusal = string.Empty;
        options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = certificate,
            ApplicationProtocols = _alpn.Count > 0 ? _alpn : null,
            EnabledSslProtocols = _protocols,
            CipherSuitesPolicy = _cipherSuites,
            ClientCertificateRequired = _clientCheck != null,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = _clientCheck?.ChainPolicy(roots),
            RemoteCertificateValidationCallback = ValidateClient,
        };
        return true;
    }

    /// <summary>Envoy picks the certificate whose names cover the SNI, else the first one.</summary>
    private ServerCertificate CertificateFor(string? serverName)
    {
        if (_certificates.Length > 1 && !string.IsNullOrEmpty(serverName))
        {
            foreach (var certificate in _certificates)
            {
                if (certificate.Covers(serverName))
                {
                    return certificate;
                }
            }
        }

        return _certificates[0];
    }

    private bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate == null)
        {
            return !RequireClientCertificate;
        }

        if (_clientCheck == null)
        {
            return true;
        }

        return certificate is X509Certificate2 certificate2 && _clientCheck.Accepts(certificate2, errors);
    }
}
