using Meshwork.Config.Binding;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateTLSOptions for a <see cref="ServerTlsSettings"/>: which certificate fields each mode
/// needs or forbids, one certificate source at a time, and warnings for cipher suites Envoy would drop.
/// Gateway servers call it; Sidecar ingress listeners share the same message and may call it too.
/// The order of the checks (and the early returns) follows Istio's, since they decide which errors appear.
/// </summary>
public static class ServerTlsChecks
{
    /// <summary>Cipher suites Istio recognises in ServerTLSSettings (BoringSSL names, PSK suites excluded).</summary>
    private static readonly HashSet<string> ValidCipherSuites = new(StringComparer.Ordinal)
    {
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
    };

    /// <summary>Checks <paramref name="tls"/>, found at <paramref name="path"/> (e.g. <c>spec.servers[0].tls</c>).</summary>
    public static void Check(ServerTlsSettings? tls, string path, RuleContext context)
    {
        if (tls == null)
        {
            return;
        }

        CheckVersionsAndCiphers(tls, path, context);

        if (tls.Mode == ServerTlsMode.IstioMutual)
        {
            // Istio-issued certificates only: every user-supplied source is a mistake.
            ForbidForIstioMutual(tls.ServerCertificate.Length > 0, $"{path}.serverCertificate", "server certificate", context);
            ForbidForIstioMutual(tls.PrivateKey.Length > 0, $"{path}.privateKey", "private key", context);
            ForbidForIstioMutual(tls.CaCertificates.Length > 0, $"{path}.caCertificates", "CA bundle", context);
            ForbidForIstioMutual(!tls.TlsCertificates.IsEmpty, $"{path}.tlsCertificates", "tlsCertificates", context);
            ForbidForIstioMutual(tls.CredentialName.Length > 0, $"{path}.credentialName", "credentialName", context);
            ForbidForIstioMutual(!tls.CredentialNames.IsEmpty, $"{path}.credentialNames", "credentialNames", context);
            return;
        }

        var sources = CertificateSources(tls);
        if (tls.Mode is ServerTlsMode.Passthrough or ServerTlsMode.AutoPassthrough &&
            (sources.Count > 0 || tls.CaCrl.Length > 0 || tls.ServerCertificate.Length > 0 || tls.PrivateKey.Length > 0 || tls.CaCertificates.Length > 0))
        {
            context.Warning($"{path}.mode", $"{WireNames.Of(tls.Mode)} mode does not use certificates, they will be ignored");
        }

        if (sources.Count > 1)
        {
            context.Error(path, $"only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified, got {string.Join(" and ", sources)}");
        }

        var terminates = tls.Mode is ServerTlsMode.Simple or ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual;
        if (terminates && (tls.CredentialName.Length > 0 || !tls.CredentialNames.IsEmpty))
        {
            // The certificates (and the CA bundle and CRL) come from the secret.
            return;
        }

        if (terminates)
        {
            CheckCertificates(tls, path, context);
        }

        if (tls.CaCrl.Length > 0)
        {
            if (tls.CredentialName.Length > 0)
            {
                context.Error($"{path}.caCrl", "CRL is not supported with credentialName. CRL has to be specified in the credential");
            }

            if (tls.Mode == ServerTlsMode.Simple)
            {
                context.Error($"{path}.caCrl", "CRL is not supported with SIMPLE TLS");
            }
        }
    }

    private static void CheckVersionsAndCiphers(ServerTlsSettings tls, string path, RuleContext context)
    {
        if (tls.MinProtocolVersion is TlsProtocol.Tlsv10 or TlsProtocol.Tlsv11 && tls.CipherSuites.IsEmpty)
        {
            context.Warning($"{path}.minProtocolVersion", $"{WireNames.Of(tls.MinProtocolVersion)} needs cipherSuites: the default ciphers no longer include ones compatible with TLS versions below TLSV1_2");
        }

        // Istio accepts an inverted range; Envoy then can negotiate no version at all.
        if (tls.MinProtocolVersion != TlsProtocol.TlsAuto && tls.MaxProtocolVersion != TlsProtocol.TlsAuto && tls.MinProtocolVersion > tls.MaxProtocolVersion)
        {
            context.Warning($"{path}.maxProtocolVersion", $"maxProtocolVersion {WireNames.Of(tls.MaxProtocolVersion)} is below minProtocolVersion {WireNames.Of(tls.MinProtocolVersion)}: no TLS version can be negotiated");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tls.CipherSuites.Count; i++)
        {
            var suite = tls.CipherSuites[i];
            if (!IsValidCipherSuite(suite))
            {
                context.Warning($"{path}.cipherSuites[{i}]", $"ignoring invalid cipher suite \"{suite}\"");
            }
            else if (!seen.Add(suite))
            {
                context.Warning($"{path}.cipherSuites[{i}]", $"ignoring duplicate cipher suite \"{suite}\"");
            }
        }
    }

    /// <summary>Istio's security.IsValidCipherSuite: a known name, ALL, or an expression led by an operator (<c>-</c>, <c>+</c>, <c>!</c>).</summary>
    public static bool IsValidCipherSuite(string suite) =>
        suite.Length == 0 || suite == "ALL" || !char.IsLetterOrDigit(suite[0]) || ValidCipherSuites.Contains(suite);

    private static void CheckCertificates(ServerTlsSettings tls, string path, RuleContext context)
    {
        var prefix = tls.Mode == ServerTlsMode.Simple ? "SIMPLE TLS" : "MUTUAL TLS";
        if (tls.Mode != ServerTlsMode.Simple && tls.CaCertificates.Length == 0)
        {
            context.Error($"{path}.caCertificates", $"{prefix} requires a client CA bundle");
        }

        if (tls.TlsCertificates.Count > 2)
        {
            context.Warning($"{path}.tlsCertificates", $"{prefix} can support up to 2 server certificates, got {tls.TlsCertificates.Count}");
        }

        if (tls.TlsCertificates.IsEmpty)
        {
            RequireCertificate(tls.ServerCertificate, tls.PrivateKey, path, prefix, context);
            return;
        }

        for (var i = 0; i < tls.TlsCertificates.Count; i++)
        {
            var certificate = tls.TlsCertificates[i];
            RequireCertificate(certificate.ServerCertificate, certificate.PrivateKey, $"{path}.tlsCertificates[{i}]", prefix, context);
        }
    }

    private static void RequireCertificate(string serverCertificate, string privateKey, string path, string prefix, RuleContext context)
    {
        if (serverCertificate.Length == 0)
        {
            context.Error($"{path}.serverCertificate", $"{prefix} requires a server certificate");
        }

        if (privateKey.Length == 0)
        {
            context.Error($"{path}.privateKey", $"{prefix} requires a private key");
        }
    }

    /// <summary>The certificate sources set, as Istio counts them (a certificate counts only with its key).</summary>
    private static List<string> CertificateSources(ServerTlsSettings tls)
    {
        var sources = new List<string>(4);
        if (tls.CredentialName.Length > 0)
        {
            sources.Add("credentialName");
        }

        if (!tls.CredentialNames.IsEmpty)
        {
            sources.Add("credentialNames");
        }

        if (tls.ServerCertificate.Length > 0 && tls.PrivateKey.Length > 0)
        {
            sources.Add("serverCertificate/privateKey");
        }

        if (!tls.TlsCertificates.IsEmpty)
        {
            sources.Add("tlsCertificates");
        }

        return sources;
    }

    private static void ForbidForIstioMutual(bool set, string path, string what, RuleContext context)
    {
        if (set)
        {
            context.Error(path, $"ISTIO_MUTUAL TLS cannot have associated {what}");
        }
    }
}
