using System.Security.Cryptography.X509Certificates;
using Grpc.Core;

namespace Meshwork.Proxy.Security;

/// <summary>
/// The istio-agent role inside mesh-proxy: obtains the workload certificate for a fresh key, keeps
/// it in the <see cref="SecretStore"/>, renews it at half-life with a new key, and while the CA is
/// away retries with backoff, keeping the current certificate until it expires. The proxy serves
/// meanwhile; TLS contexts needing the certificate refuse handshakes until it is there.
/// </summary>
public sealed partial class CertificateAgent(
    AgentOptions options, string spiffeId, ICertificateSigner signer, SecretStore store, TimeProvider time, Func<double> random, ILogger<CertificateAgent> logger)
    : BackgroundService
{
    private int _failures;
    private string? _lastFailure;

    public string SpiffeId => spiffeId;

    /// <summary>Loads the configured root as <c>ROOTCA</c> before the first certificate, as Istio's mounted root-cert.pem is there from the start.</summary>
    public void LoadConfiguredRoot()
    {
        store.SetRoots(new TrustBundle(CaClient.LoadRoots(options.RootCertFile), store.NextVersion(), time.GetUtcNow()));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = await RenewAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One attempt to obtain a certificate; returns how long to wait before the next.</summary>
    public async Task<TimeSpan> RenewAsync(CancellationToken cancellationToken)
    {
        var current = store.Certificate;
        var now = time.GetUtcNow();
        if (current != null && current.Leaf.NotAfter.ToUniversalTime() <= now.UtcDateTime)
        {
            // Expired: TLS contexts stop using it rather than present a certificate peers refuse.
            store.SetCertificate(null);
            Log.Expired(logger, current.Leaf.SerialNumber);
            current = null;
        }

        try
        {
            using var csr = WorkloadCsr.Create(options.KeyType, spiffeId);
            var chain = await signer.SignAsync(csr.Pem, options.CertTtl, current?.Leaf, cancellationToken).ConfigureAwait(false);
            var leaf = csr.Attach(chain[0]);
            now = time.GetUtcNow();
            var issued = new WorkloadCertificate(leaf, chain, store.NextVersion(), now);
            var roots = CaClient.LoadRoots(options.RootCertFile);
            if (chain.Count > 1 && !roots.Contains(chain[^1]))
            {
                roots.Add(chain[^1]);
            }

            store.SetRoots(new TrustBundle(roots, store.NextVersion(), now));
            store.SetCertificate(issued);
            if (current == null)
            {
                Log.First(logger, spiffeId, leaf.SerialNumber, leaf.NotAfter.ToUniversalTime());
            }
            else
            {
                Log.Rotated(logger, leaf.SerialNumber, current.Leaf.SerialNumber, leaf.NotAfter.ToUniversalTime());
            }

            _failures = 0;
            _lastFailure = null;
            return RotationPolicy.RotationDelay(leaf.NotBefore.ToUniversalTime(), leaf.NotAfter.ToUniversalTime(), now, random());
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or System.Security.Cryptography.CryptographicException or IOException or HttpRequestException)
        {
            _failures++;
            var reason = e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
            var wait = RotationPolicy.Backoff(_failures, random());
            if (current != null)
            {
                // Retry no later than the expiry so the expired certificate is dropped on time.
                var left = current.Leaf.NotAfter.ToUniversalTime() - time.GetUtcNow().UtcDateTime;
                wait = left < wait ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : wait;
            }

            // One line per failure; a repeat of the same reason is logged at debug so an outage does not flood the log.
            if (reason != _lastFailure)
            {
                Log.Failed(logger, reason, wait.TotalSeconds, current != null ? "keeping the current certificate" : "no certificate yet");
            }
            else
            {
                Log.FailedAgain(logger, _failures, wait.TotalSeconds);
            }

            _lastFailure = reason;
            return wait;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 70, Level = LogLevel.Information, Message = "first workload certificate for {SpiffeId}: serial {Serial}, valid until {NotAfter:O}")]
        public static partial void First(ILogger logger, string spiffeId, string serial, DateTime notAfter);

        [LoggerMessage(EventId = 71, Level = LogLevel.Information, Message = "workload certificate rotated: serial {Serial} replaces {Previous}, valid until {NotAfter:O}")]
        public static partial void Rotated(ILogger logger, string serial, string previous, DateTime notAfter);

        [LoggerMessage(EventId = 72, Level = LogLevel.Warning, Message = "workload certificate request failed: {Reason}; retrying in {Seconds:0.0} s ({State})")]
        public static partial void Failed(ILogger logger, string reason, double seconds, string state);

        [LoggerMessage(EventId = 73, Level = LogLevel.Debug, Message = "workload certificate request failed again ({Failures} in a row, same reason); retrying in {Seconds:0.0} s")]
        public static partial void FailedAgain(ILogger logger, int failures, double seconds);

        [LoggerMessage(EventId = 74, Level = LogLevel.Warning, Message = "workload certificate {Serial} expired with no renewal; TLS contexts using it refuse handshakes")]
        public static partial void Expired(ILogger logger, string serial);
    }
}
