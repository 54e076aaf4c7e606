using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;

namespace Meshwork.Proxy.Connections;

/// <summary>
/// A chain's TLS termination (Envoy's DownstreamTlsContext on the envoy.transport_sockets.tls
/// transport socket), compiled when config is applied: certificates and CAs loaded from their
/// files then, so every handshake only picks a prebuilt certificate context by SNI. Secrets named
/// through SDS (Istio's <c>kubernetes://credentialName</c>, <c>default</c>, <c>ROOTCA</c>) cannot be
/// fetched yet: the config is accepted, as Envoy accepts a listener whose secrets have not arrived,
/// and each handshake on that chain is refused (Envoy's downstream_context_secrets_not_ready).
/// </summary>
public sealed class DownstreamTls
{
    public const string TransportSocketName = "envoy.transport_sockets.tls";

    private readonly ServerCertificate[] _certificates;
    private readonly ClientCertificateCheck? _clientCheck;
    private readonly List<SslApplicationProtocol> _alpn;
    private readonly SslProtocols _protocols;
    private readonly CipherSuitesPolicy? _cipherSuites;

    private DownstreamTls(
        ServerCertificate[] certificates,
        ClientCertificateCheck? clientCheck,
        bool requireClientCertificate,
        bool requireSni,
        IReadOnlyList<string> applicationProtocols,
        SslProtocols protocols,
        CipherSuitesPolicy? cipherSuites,
        IReadOnlyList<string> pendingSecrets)
    {
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

    /// <summary>SDS secrets the context needs that mesh-proxy cannot resolve; when any, every handshake is refused.</summary>
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

        var validationWhere = $"{where}: common_tls_context.validation_context";
        ClientCertificateCheck? check = null;
        switch (common.ValidationContextTypeCase)
        {
            case CommonTlsContext.ValidationContextTypeOneofCase.ValidationContext:
                check = ClientCertificateCheck.Compile(common.ValidationContext, validationWhere);
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.ValidationContextSdsSecretConfig:
                pending.Add(common.ValidationContextSdsSecretConfig.Name);
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.CombinedValidationContext:
                var combined = common.CombinedValidationContext;
                pending.Add(combined.ValidationContextSdsSecretConfig?.Name ?? "(combined_validation_context without a secret name)");
                check = ClientCertificateCheck.Compile(combined.DefaultValidationContext ?? new CertificateValidationContext(), $"{where}: common_tls_context.combined_validation_context.default_validation_context");
                break;
        }

        var requireClient = context.RequireClientCertificate ?? false;
        if (requireClient && common.ValidationContextTypeCase == CommonTlsContext.ValidationContextTypeOneofCase.None)
        {
            throw new ProxyConfigException($"{where}: require_client_certificate needs a validation_context to check the certificate against");
        }

        var alpn = common.AlpnProtocols.Count > 0 ? common.AlpnProtocols.ToArray() : defaultAlpn;
        var (protocols, ciphers) = TlsParameterTranslation.Translate(common.TlsParams, $"{where}: common_tls_context.tls_params");
        return new DownstreamTls(certificates, check, requireClient, context.RequireSni ?? false, alpn, protocols, ciphers, pending);
    }

    /// <summary>
    /// The options for one handshake with a client that sent <paramref name="serverName"/>, or false
    /// with the reason when this chain cannot serve it (secrets not ready, SNI required but absent):
    /// the caller then closes the connection.
    /// </summary>
    public bool TryCreateOptions(string? serverName, out SslServerAuthenticationOptions options, out string refusal)
    {
        options = null!;
        if (PendingSecrets.Count > 0)
        {
            refusal = $"secrets not ready: SDS secret \"{PendingSecrets[0]}\" cannot be resolved (mesh-proxy has no SDS client)";
            return false;
        }

        if (RequireSni && string.IsNullOrEmpty(serverName))
        {
            refusal = "require_sni is set and the client sent no SNI";
            return false;
        }

        refusal = string.Empty;
        options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = CertificateFor(serverName).Context,
            ApplicationProtocols = _alpn.Count > 0 ? _alpn : null,
            EnabledSslProtocols = _protocols,
            CipherSuitesPolicy = _cipherSuites,
            ClientCertificateRequired = _clientCheck != null,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = _clientCheck?.ChainPolicy(),
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
