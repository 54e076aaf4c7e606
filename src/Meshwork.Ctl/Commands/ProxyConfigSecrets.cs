using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Meshwork.Ctl.Commands;

/// <summary>
/// <c>meshctl proxy-config secret</c>: the proxy's SDS secrets from the SecretsConfigDump section of
/// its <c>/config_dump</c>, in istioctl's columns (each certificate of a secret on its own row), or that section as JSON.
/// </summary>
internal static class ProxyConfigSecrets
{
    public const string DumpType = "type.googleapis.com/envoy.admin.v3.SecretsConfigDump";

    /// <summary>The SecretsConfigDump section, or null when the proxy has none (no certificate agent).</summary>
    public static JsonElement? Section(JsonDocument dump) =>
        dump.RootElement.GetProperty("configs").EnumerateArray()
            .Where(c => c.TryGetProperty("@type", out var t) && t.GetString() == DumpType)
            .Select(c => (JsonElement?)c)
            .FirstOrDefault();

    public static List<string[]> Rows(JsonElement? section, DateTimeOffset now)
    {
        List<string[]> rows = [["RESOURCE NAME", "TYPE", "STATUS", "VALID CERT", "SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"]];
        if (section is not { } secrets)
        {
            return rows;
        }

        foreach (var secret in secrets.GetProperty("dynamic_active_secrets").EnumerateArray())
        {
            var name = secret.GetProperty("name").GetString() ?? string.Empty;
            var body = secret.GetProperty("secret");
            var (kind, pem) = body.TryGetProperty("tls_certificate", out var tls)
                ? ("Cert Chain", Inline(tls, "certificate_chain"))
                : body.TryGetProperty("validation_context", out var validation) ? ("CA", Inline(validation, "trusted_ca")) : (string.Empty, string.Empty);
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(pem);

            // istioctl shows a chain by its leaf and a bundle by each root.
            foreach (var certificate in kind == "Cert Chain" ? certificates.Take(1) : certificates)
            {
                var valid = now >= certificate.NotBefore.ToUniversalTime() && now <= certificate.NotAfter.ToUniversalTime();
                rows.Add([name, kind, "ACTIVE", valid ? "true" : "false", certificate.SerialNumber.ToLowerInvariant(), Time(certificate.NotAfter), Time(certificate.NotBefore)]);
            }
        }

        return rows;
    }

    private static string Inline(JsonElement parent, string field) =>
        parent.TryGetProperty(field, out var source) && source.TryGetProperty("inline_bytes", out var bytes)
            ? Encoding.ASCII.GetString(Convert.FromBase64String(bytes.GetString() ?? string.Empty))
            : string.Empty;

    private static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
