using Meshwork.Citadel;
using Prometheus;

namespace Meshwork.Meshd.Security;

/// <summary>Citadel's metrics under Istio's names (security/pkg/server/ca/monitoring.go), so its dashboards and alerts work unchanged.</summary>
internal static class CitadelMetrics
{
    public static readonly Counter CsrCount = Metrics.CreateCounter("citadel_server_csr_count", "The number of CSRs received by Citadel server.");

    public static readonly Counter AuthenticationFailures = Metrics.CreateCounter("citadel_server_authentication_failure_count", "The number of authentication failures.");

    public static readonly Counter CsrParsingErrors = Metrics.CreateCounter("citadel_server_csr_parsing_err_count", "The number of errors occurred when parsing the CSR.");

    public static readonly Counter IdExtractionErrors = Metrics.CreateCounter("citadel_server_id_extraction_err_count", "The number of errors occurred when extracting the ID from CSR.");

    public static readonly Counter Issued = Metrics.CreateCounter("citadel_server_success_cert_issuance_count", "The number of certificates issuances that have succeeded.");

    public static readonly Gauge RootExpiry = Metrics.CreateGauge("citadel_server_root_cert_expiry_timestamp", "The unix timestamp, in seconds, when Citadel root cert will expire.");

    public static readonly Gauge ChainExpiry = Metrics.CreateGauge("citadel_server_cert_chain_expiry_timestamp", "The unix timestamp, in seconds, when Citadel cert chain will expire.");

    /// <summary>The expiry gauges, from the CA meshd serves with.</summary>
    public static void Describe(CertificateAuthority ca)
    {
        RootExpiry.Set(new DateTimeOffset(ca.Roots.Min(r => r.NotAfter.ToUniversalTime())).ToUnixTimeSeconds());
        ChainExpiry.Set(new DateTimeOffset(ca.Chain.Append(ca.SigningCertificate).Min(c => c.NotAfter.ToUniversalTime())).ToUnixTimeSeconds());
    }
}
