using Meshwork.Config.Binding;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Istio's validateTLSOptions for ServerTLSSettings, as applied to Sidecar ingress listeners
/// (Gateway servers run the same function): certificate sources, mode requirements, CRL and
/// the warnings on old TLS versions and cipher suites.
/// </summary>
internal static class SidecarServerTlsChecks
{
    /// <summary>Istio's security.ValidCipherSuites (BoringSSL's names, without PSK).</summary>
    private static readonly HashSet<string> ValidCipherSuites =
    [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA",
        "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
    ];

    public static void Check(RuleContext context, string path, ServerTlsSettings tls)
    {
        if (tls.MinProtocolVersion is TlsProtocol.Tlsv10 or TlsProtocol.Tlsv11 && tls.CipherSuites.Count == 0)
        {
            context.Warning(path + ".minProtocolVersion", "TLS version below TLSV1_2 require setting compatible ciphers as by default they no longer include compatible ciphers.");
        }

        var invalid = new SortedSet<string>(StringComparer.Ordinal);
        var valid = new HashSet<string>(StringComparer.Ordinal);
        var duplicate = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var suite in tls.CipherSuites)
        {
            if (!IsValidCipherSuite(suite))
            {
                invalid.Add(suite);
            }
            else if (!valid.Add(suite))
            {
                duplicate.Add(suite);
            }
        }

        if (invalid.Count > 0)
        {
            context.Warning(path + ".cipherSuites", $"ignoring invalid cipher suites: [{string.Join(" ", invalid)}]");
        }

        if (duplicate.Count > 0)
        {
            context.Warning(path + ".cipherSuites", $"ignoring duplicate cipher suites: [{string.Join(" ", duplicate)}]");
        }

        if (tls.Mode == ServerTlsMode.IstioMutual)
        {
            // Sidecar ingress already rejects the mode itself; Istio still lists each field it cannot have.
            ForbidWithIstioMutual(context, path, tls);
            return;
        }

        var hasCertificates = tls.CaCrl.Length > 0 || tls.ServerCertificate.Length > 0 || tls.PrivateKey.Length > 0 || tls.CaCertificates.Length > 0
            || tls.TlsCertificates.Count > 0 || tls.CredentialName.Length > 0 || tls.CredentialNames.Count > 0;
        if (tls.Mode is ServerTlsMode.Passthrough or ServerTlsMode.AutoPassthrough && hasCertificates)
        {
            context.Warning(path + ".mode", $"{WireNames.Of(tls.Mode)} mode does not use certificates, they will be ignored");
        }

        var sources = (tls.ServerCertificate.Length > 0 && tls.PrivateKey.Length > 0 ? 1 : 0) + (tls.CredentialName.Length > 0 ? 1 : 0)
            + (tls.CredentialNames.Count > 0 ? 1 : 0) + (tls.TlsCertificates.Count > 0 ? 1 : 0);
        if (sources > 1)
        {
            context.Error(path, "only one of credential_name, credential_names, server_certificate/private_key, tls_certificates should be specified");
        }

        var terminates = tls.Mode is ServerTlsMode.Simple or ServerTlsMode.Mutual or ServerTlsMode.OptionalMutual;
        if (terminates && (tls.CredentialName.Length > 0 || tls.CredentialNames.Count > 0))
        {
            // Credentials come from a secret: no file paths required.
            return;
        }

        if (terminates)
        {
            var prefix = tls.Mode == ServerTlsMode.Simple ? "SIMPLE TLS" : "MUTUAL TLS";
            if (tls.Mode != ServerTlsMode.Simple && tls.CaCertificates.Length == 0)
            {
                context.Error(path + ".caCertificates", $"{prefix} requires a client CA bundle");
            }

            if (tls.TlsCertificates.Count > 2)
            {
                context.Warning(path + ".tlsCertificates", $"{prefix} can support up to 2 server certificates");
            }

            var certificates = tls.TlsCertificates.Count > 0
                ? tls.TlsCertificates.Select((c, i) => ($"{path}.tlsCertificates[{i}]", c.ServerCertificate, c.PrivateKey))
                : [(path, tls.ServerCertificate, tls.PrivateKey)];
            foreach (var (at, certificate, key) in certificates)
            {
                if (certificate.Length == 0)
                {
                    context.Error(at + ".serverCertificate", $"{prefix} requires a server certificate");
                }

                if (key.Length == 0)
                {
                    context.Error(at + ".privateKey", $"{prefix} requires a private key");
                }
            }
        }

        if (tls.CaCrl.Length > 0)
        {
            if (tls.CredentialName.Length > 0)
            {
                context.Error(path + ".caCrl", "CRL is not supported with credentialName. CRL has to be specified in the credential");
            }

            if (tls.Mode == ServerTlsMode.Simple)
            {
                context.Error(path + ".caCrl", "CRL is not supported with SIMPLE TLS");
            }
        }
    }

    private static void ForbidWithIstioMutual(RuleContext context, string path, ServerTlsSettings tls)
    {
        if (tls.ServerCertificate.Length > 0)
        {
            context.Error(path + ".serverCertificate", "ISTIO_MUTUAL TLS cannot have associated server certificate");
        }

        if (tls.PrivateKey.Length > 0)
        {
            context.Error(path + ".privateKey", "ISTIO_MUTUAL TLS cannot have associated private key");
        }

        if (tls.CaCertificates.Length > 0)
        {
            context.Error(path + ".caCertificates", "ISTIO_MUTUAL TLS cannot have associated CA bundle");
        }

        if (tls.TlsCertificates.Count > 0)
        {
            context.Error(path + ".tlsCertificates", "ISTIO_MUTUAL TLS cannot have associated tlsCertificates");
        }

        if (tls.CredentialName.Length > 0)
        {
            context.Error(path + ".credentialName", "ISTIO_MUTUAL TLS cannot have associated credentialName");
        }

        if (tls.CredentialNames.Count > 0)
        {
            context.Error(path + ".credentialNames", "ISTIO_MUTUAL TLS cannot have associated credentialNames");
        }
    }

    /// <summary>Istio's IsValidCipherSuite: empty, ALL and operator-led entries (<c>-</c>, <c>+</c>, <c>!</c>) pass unchecked.</summary>
    private static bool IsValidCipherSuite(string suite) =>
        suite.Length == 0 || suite == "ALL" || !char.IsLetterOrDigit(suite[0]) || ValidCipherSuites.Contains(suite);
}
