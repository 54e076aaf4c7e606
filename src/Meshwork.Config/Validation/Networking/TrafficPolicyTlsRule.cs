using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// Client TLS settings (Istio's agent.ValidateTLS): certificates or credentialName but not both,
/// MUTUAL needs a client certificate and key, insecureSkipVerify excludes verification settings,
/// and a configmap:// credential must live in the rule's namespace. Istio accepts certificate
/// fields with ISTIO_MUTUAL and ignores them; that is a warning here.
/// </summary>
public sealed class TrafficPolicyTlsRule : SpecRule<DestinationRule>
{
    private const string ConfigMapPrefix = "configmap://";

    protected override void Check(DestinationRule spec, RuleContext context)
    {
        foreach (var parts in DestinationRulePolicies.Parts(spec))
        {
            if (parts.Tls is { } tls)
            {
                CheckTls(context, parts.Path + ".tls", tls);
            }
        }
    }

    private static void CheckTls(RuleContext context, string path, ClientTlsSettings tls)
    {
        if (tls.CredentialName.StartsWith(ConfigMapPrefix, StringComparison.Ordinal))
        {
            var reference = tls.CredentialName[ConfigMapPrefix.Length..];
            var slash = reference.IndexOf('/', StringComparison.Ordinal);
            var ns = slash < 0 ? context.Namespace : reference[..slash];
            if (ns != context.Namespace)
            {
                context.Error(path + ".credentialName", $"invalid configmap:// credentialName: namespace must match the configuration namespace \"{context.Namespace}\", got \"{ns}\"");
            }
        }

        if (tls.InsecureSkipVerify == true)
        {
            if (tls.Mode == ClientTlsMode.Simple && (tls.CaCertificates.Length > 0 || tls.CredentialName.Length > 0 || tls.SubjectAltNames.Count > 0))
            {
                context.Error(path + ".insecureSkipVerify", "cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true");
            }

            if (tls.Mode == ClientTlsMode.Mutual && (tls.CaCertificates.Length > 0 || tls.SubjectAltNames.Count > 0))
            {
                context.Error(path + ".insecureSkipVerify", "cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true");
            }
        }

        if (tls.Mode == ClientTlsMode.IstioMutual)
        {
            var ignored = new[]
            {
                ("clientCertificate", tls.ClientCertificate), ("privateKey", tls.PrivateKey),
                ("caCertificates", tls.CaCertificates), ("credentialName", tls.CredentialName), ("caCrl", tls.CaCrl),
            };
            foreach (var (field, value) in ignored.Where(f => f.Item2.Length > 0))
            {
                context.Warning($"{path}.{field}", "ignored with ISTIO_MUTUAL, which always uses the workload's Istio certificates");
            }

            return;
        }

        if (tls.Mode is ClientTlsMode.Simple or ClientTlsMode.Mutual && tls.CredentialName.Length > 0)
        {
            if (tls.ClientCertificate.Length > 0 || tls.CaCertificates.Length > 0 || tls.PrivateKey.Length > 0 || tls.CaCrl.Length > 0)
            {
                context.Error(path + ".credentialName", "cannot specify client certificates or CA certificate or CA CRL If credentialName is set");
            }

            return;
        }

        if (tls.Mode == ClientTlsMode.Mutual)
        {
            if (tls.ClientCertificate.Length == 0)
            {
                context.Error(path + ".clientCertificate", "client certificate required for mutual tls");
            }

            if (tls.PrivateKey.Length == 0)
            {
                context.Error(path + ".privateKey", "private key required for mutual tls");
            }
        }
    }
}
