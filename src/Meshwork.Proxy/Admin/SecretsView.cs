using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Proxy.Security;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// The agent's secrets on the admin API: Envoy's <c>/certs</c> (serial, SANs, days until expiry,
/// validity) and the SecretsConfigDump section of <c>/config_dump</c>. Certificates are shown, never keys.
/// </summary>
public static class SecretsView
{
    public const string SecretsDumpType = "type.googleapis.com/envoy.admin.v3.SecretsConfigDump";

    /// <summary>Envoy's /certs: per context, the CA bundle and the certificate chain.</summary>
    public static string Certs(SecretStore secrets, TimeProvider time) => JsonText.Write(w =>
    {
        var now = time.GetUtcNow();
        w.WriteStartObject();
        w.WriteStartArray("certificates");
        if (secrets.IsActive)
        {
            w.WriteStartObject();
            w.WriteStartArray("ca_cert");
            foreach (var root in secrets.Roots?.Roots ?? [])
            {
                WriteDetails(w, root, SecretStore.RootSecret, now);
            }

            w.WriteEndArray();
            w.WriteStartArray("cert_chain");
            if (secrets.Certificate is { } workload)
            {
                WriteDetails(w, workload.Leaf, SecretStore.DefaultSecret, now);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>The secrets section of /config_dump: dynamic_active_secrets with name, version, last_updated and the certificate PEM.</summary>
    public static void WriteConfigDump(Utf8JsonWriter w, SecretStore secrets)
    {
        w.WriteStartObject();
        w.WriteString("@type", SecretsDumpType);

        // "type" as the dump's other sections carry it, so readers can pick sections by one key.
        w.WriteString("type", SecretsDumpType);
        w.WriteStartArray("dynamic_active_secrets");
        if (secrets.Certificate is { } workload)
        {
            WriteSecret(w, SecretStore.DefaultSecret, workload.Version, workload.LastUpdated, "tls_certificate", "certificate_chain", string.Concat(workload.Chain.Take(Math.Max(1, workload.Chain.Count - 1)).Select(c => c.ExportCertificatePem() + "\n")));
        }

        if (secrets.Roots is { } bundle)
        {
            WriteSecret(w, SecretStore.RootSecret, bundle.Version, bundle.LastUpdated, "validation_context", "trusted_ca", string.Concat(bundle.Roots.Select(c => c.ExportCertificatePem() + "\n")));
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteSecret(Utf8JsonWriter w, string name, string version, DateTimeOffset updated, string kind, string field, string pem)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("version_info", version);
        w.WriteString("last_updated", updated.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteStartObject("secret");
        w.WriteString("@type", "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");
        w.WriteString("name", name);
        w.WriteStartObject(kind);
        w.WriteStartObject(field);
        w.WriteString("inline_bytes", Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(pem)));
        w.WriteEndObject();
        if (kind == "tls_certificate")
        {
            w.WriteStartObject("private_key");
            w.WriteString("inline_bytes", "W3JlZGFjdGVkXQ==");
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteDetails(Utf8JsonWriter w, X509Certificate2 certificate, string path, DateTimeOffset now)
    {
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        w.WriteStartObject();
        w.WriteString("path", path);
        w.WriteString("serial_number", certificate.SerialNumber.ToLowerInvariant());
        w.WriteStartArray("subject_alt_names");
        foreach (var (type, value) in Connections.ClientCertificateCheck.SubjectAltNames(certificate))
        {
            w.WriteStartObject();
            w.WriteString(type switch
            {
                Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType.Uri => "uri",
                Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType.Dns => "dns",
                Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType.Email => "email",
                _ => "ip_address",
            }, value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("days_until_expiration", ((long)Math.Floor((notAfter - now).TotalDays)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("valid_from", certificate.NotBefore.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteString("expiration_time", notAfter.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
