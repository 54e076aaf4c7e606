using Meshwork.Config.Binding;
using Meshwork.Config.Networking;

namespace Meshwork.Config.Validation.Networking;

/// <summary>
/// TLS that an ingress listener terminates: only on an HTTPS/TLS port, without the Gateway-only
/// features (SANs, httpsRedirect, credentials, several certificates, ISTIO_MUTUAL, AUTO_PASSTHROUGH),
/// then the server TLS checks Gateways get too.
/// </summary>
public sealed class SidecarIngressTlsRule : SpecRule<Sidecar>
{
    protected override void Check(Sidecar spec, RuleContext context)
    {
        if (!SidecarPreconditions.Hold(spec))
        {
            return;
        }

        for (var i = 0; i < spec.Ingress.Count; i++)
        {
            var listener = spec.Ingress[i];
            if (listener is not { Port: { } port, Tls: { } tls })
            {
                continue;
            }

            var path = $"spec.ingress[{i}].tls";
            if (tls.SubjectAltNames.Count > 0)
            {
                context.Error(path + ".subjectAltNames", "subjectAltNames is not supported in ingress tls");
            }

            if (tls.HttpsRedirect)
            {
                context.Error(path + ".httpsRedirect", "httpsRedirect is not supported");
            }

            if (tls.CredentialName.Length > 0)
            {
                context.Error(path + ".credentialName", "credentialName is not currently supported");
            }

            if (tls.CredentialNames.Count > 0)
            {
                context.Error(path + ".credentialNames", "credentialNames is not currently supported");
            }

            if (tls.TlsCertificates.Count > 0)
            {
                context.Error(path + ".tlsCertificates", "tls_certificates is not currently supported");
            }

            if (tls.Mode is ServerTlsMode.IstioMutual or ServerTlsMode.AutoPassthrough)
            {
                context.Error(path + ".mode", $"configuration is invalid: cannot set mode to {WireNames.Of(tls.Mode)} in sidecar ingress tls");
            }

            if (!SidecarPortChecks.IsTls(port.Protocol))
            {
                context.Error(path, $"server cannot have TLS settings for non HTTPS/TLS ports, got protocol \"{port.Protocol}\"");
            }

            ServerTlsChecks.Check(tls, path, context);
        }
    }
}
