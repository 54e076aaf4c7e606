using System.Security.Authentication;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.ProxyProtocol.V3;
using Envoy.Extensions.TransportSockets.RawBuffer.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Google.Protobuf;
using TlsProtocol = Envoy.Extensions.TransportSockets.Tls.V3.TlsParameters.Types.TlsProtocol;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;

namespace Meshwork.Proxy.Upstream;

/// <summary>
/// Compiles a cluster's transport sockets (TLS, raw buffer, upstream PROXY protocol around
/// either) into <see cref="TransportModel"/>s. Pure: certificate files are named, not read.
/// </summary>
internal static class TransportCompiler
{
    public const string TlsSocket = "envoy.transport_sockets.tls";
    public const string RawBufferSocket = "envoy.transport_sockets.raw_buffer";
    public const string ProxyProtocolSocket = "envoy.transport_sockets.upstream_proxy_protocol";

    /// <param name="autoSni">The cluster's upstream_http_protocol_options.auto_sni.</param>
    /// <param name="autoSanValidation">The cluster's upstream_http_protocol_options.auto_san_validation.</param>
    public static TransportModel Compile(TransportSocket? socket, string where, bool autoSni, bool autoSanValidation)
    {
        if (socket == null)
        {
            return TransportModel.Plaintext;
        }

        var any = socket.TypedConfig;
        if (any == null)
        {
            return socket.Name switch
            {
                RawBufferSocket => TransportModel.Plaintext,
                _ => throw new ProxyConfigException($"{where}: transport socket \"{socket.Name}\" has no typed_config"),
            };
        }

        if (any.Is(RawBuffer.Descriptor))
        {
            return TransportModel.Plaintext;
        }

        if (any.Is(ProxyProtocolUpstreamTransport.Descriptor))
        {
            var wrapper = Unpack<ProxyProtocolUpstreamTransport>(any, where);
            var inner = Compile(wrapper.TransportSocket, where + ".transport_socket", autoSni, autoSanValidation);
            var version = wrapper.Config?.Version == ProxyProtocolConfig.Types.Version.V2 ? 2 : 1;
            return new TransportModel(socket, inner.Tls, version);
        }

        if (any.Is(UpstreamTlsContext.Descriptor))
        {
            var context = Unpack<UpstreamTlsContext>(any, where);
            return new TransportModel(socket, CompileTls(context, where + ".typed_config", autoSni, autoSanValidation), null);
        }

        throw new ProxyConfigException($"{where}: transport socket \"{socket.Name}\" of type {any.TypeUrl} is not supported (expected {TlsSocket}, {RawBufferSocket} or {ProxyProtocolSocket})");
    }

    public static TlsOrigination CompileTls(UpstreamTlsContext context, string where, bool autoSni, bool autoSanValidation)
    {
        var common = context.CommonTlsContext ?? new CommonTlsContext();
        string? unavailable = null;
        string? secretsReason = null;
        string? certificateSecret = null;
        string? caSecret = null;
        string? certificateFile = null;
        string? keyFile = null;
        if (common.TlsCertificates.Count > 1)
        {
            throw new ProxyConfigException($"{where}: common_tls_context.tls_certificates: at most one client certificate is supported, got {common.TlsCertificates.Count}");
        }

        if (common.TlsCertificates.Count == 1)
        {
            var certificate = common.TlsCertificates[0];
            certificateFile = FileName(certificate.CertificateChain, $"{where}: common_tls_context.tls_certificates[0].certificate_chain");
            keyFile = FileName(certificate.PrivateKey, $"{where}: common_tls_context.tls_certificates[0].private_key");
        }
        else if (common.TlsCertificateSdsSecretConfigs.Count > 0)
        {
            certificateSecret = common.TlsCertificateSdsSecretConfigs[0].Name;
            secretsReason = $"TLS credentials unavailable: client certificate \"{certificateSecret}\" comes from SDS, which this proxy does not serve yet";
        }
        else if (common.TlsCertificateProviderInstance != null)
        {
            unavailable = $"TLS credentials unavailable: client certificate comes from certificate provider \"{common.TlsCertificateProviderInstance.InstanceName}\", which this proxy does not have";
        }

        CertificateValidationContext? validation = null;
        switch (common.ValidationContextTypeCase)
        {
            case CommonTlsContext.ValidationContextTypeOneofCase.ValidationContext:
                validation = common.ValidationContext;
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.CombinedValidationContext:
                validation = common.CombinedValidationContext.DefaultValidationContext ?? new CertificateValidationContext();
                caSecret = common.CombinedValidationContext.ValidationContextSdsSecretConfig?.Name ?? string.Empty;
                secretsReason ??= $"TLS credentials unavailable: trusted CA \"{caSecret}\" comes from SDS, which this proxy does not serve yet";
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.ValidationContextSdsSecretConfig:
                caSecret = common.ValidationContextSdsSecretConfig.Name;
                secretsReason ??= $"TLS credentials unavailable: trusted CA \"{caSecret}\" comes from SDS, which this proxy does not serve yet";
                break;
            case CommonTlsContext.ValidationContextTypeOneofCase.None:
                break;
            default:
                throw new ProxyConfigException($"{where}: common_tls_context.{common.ValidationContextTypeCase} is not supported");
        }

        string? trustedCa = null;
        var sans = new List<SanMatcher>();
        if (validation != null)
        {
            if (validation.TrustedCa != null)
            {
                trustedCa = FileName(validation.TrustedCa, $"{where}: validation_context.trusted_ca");
            }
            else if (validation.CaCertificateProviderInstance != null)
            {
                unavailable ??= $"TLS credentials unavailable: trusted CA comes from certificate provider \"{validation.CaCertificateProviderInstance.InstanceName}\", which this proxy does not have";
            }

            for (var i = 0; i < validation.MatchTypedSubjectAltNames.Count; i++)
            {
                var san = validation.MatchTypedSubjectAltNames[i];
                if (san.SanType == SanType.Unspecified || san.SanType == SanType.OtherName)
                {
                    throw new ProxyConfigException($"{where}: validation_context.match_typed_subject_alt_names[{i}].san_type {san.SanType} is not supported (DNS, URI, EMAIL or IP_ADDRESS)");
                }

                sans.Add(SanMatcher.Compile(san.SanType, san.Matcher ?? new Envoy.Type.Matcher.V3.StringMatcher(), $"{where}: validation_context.match_typed_subject_alt_names[{i}]"));
            }

            for (var i = 0; i < validation.MatchSubjectAltNames.Count; i++)
            {
                sans.Add(SanMatcher.Compile(SanType.Unspecified, validation.MatchSubjectAltNames[i], $"{where}: validation_context.match_subject_alt_names[{i}]"));
            }

            var fromProvider = validation.CaCertificateProviderInstance != null || common.ValidationContextTypeCase != CommonTlsContext.ValidationContextTypeOneofCase.ValidationContext;
            if (sans.Count > 0 && trustedCa == null && !fromProvider)
            {
                throw new ProxyConfigException($"{where}: validation_context: SAN-based verification of peer certificates without trusted_ca is insecure and not allowed");
            }
        }

        return new TlsOrigination(
            Sni: context.Sni.Length > 0 ? context.Sni : null,
            AutoSanValidation: autoSanValidation,
            Protocols: Protocols(common.TlsParams, where),
            ClientCertificateFile: certificateFile,
            ClientKeyFile: keyFile,
            VerifyChain: trustedCa != null || caSecret != null || unavailable != null,
            TrustedCaFile: trustedCa,
            SubjectAltNames: sans,
            UnavailableReason: unavailable,
            ClientCertificateSecret: certificateSecret,
            TrustedCaSecret: caSecret,
            SecretsUnavailableReason: secretsReason,
            AlpnProtocols: common.AlpnProtocols.Count > 0 ? common.AlpnProtocols.Select(p => new System.Net.Security.SslApplicationProtocol(p)).ToArray() : null);
    }

    private static SslProtocols Protocols(TlsParameters? parameters, string where)
    {
        var min = parameters?.TlsMinimumProtocolVersion ?? TlsProtocol.TlsAuto;
        var max = parameters?.TlsMaximumProtocolVersion ?? TlsProtocol.TlsAuto;
        min = min == TlsProtocol.TlsAuto ? TlsProtocol.Tlsv12 : min;
        max = max == TlsProtocol.TlsAuto ? TlsProtocol.Tlsv13 : max;
        if (max < min)
        {
            throw new ProxyConfigException($"{where}: tls_params: tls_maximum_protocol_version {max} is below tls_minimum_protocol_version {min}");
        }

        if (max < TlsProtocol.Tlsv12)
        {
            throw new ProxyConfigException($"{where}: tls_params: TLS below 1.2 is not supported");
        }

        // TLS 1.0 and 1.1 are not offered even when allowed: the platform disables them.
        var protocols = SslProtocols.None;
        if (min <= TlsProtocol.Tlsv12)
        {
            protocols |= SslProtocols.Tls12;
        }

        if (max >= TlsProtocol.Tlsv13)
        {
            protocols |= SslProtocols.Tls13;
        }

        return protocols;
    }

    private static string FileName(DataSource? source, string where)
    {
        if (source == null || source.SpecifierCase != DataSource.SpecifierOneofCase.Filename || source.Filename.Length == 0)
        {
            throw new ProxyConfigException($"{where}: only a filename data source is supported, got {source?.SpecifierCase.ToString() ?? "nothing"}");
        }

        return source.Filename;
    }

    private static T Unpack<T>(Google.Protobuf.WellKnownTypes.Any any, string where)
        where T : IMessage<T>, new()
    {
        try
        {
            return any.Unpack<T>();
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProxyConfigException($"{where}: typed_config {any.TypeUrl} does not parse: {e.Message}");
        }
    }
}
