using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Service.Discovery.V3;
using Envoy.Service.Secret.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Meshwork.Proxy.Security;

/// <summary>
/// SDS for an Envoy on a Unix socket, as istio-agent serves it: state-of-the-world StreamSecrets and
/// FetchSecrets with the secrets <c>default</c> (chain and key, inline) and <c>ROOTCA</c> (trusted CA),
/// pushing a new version on the stream whenever the agent rotates them. Delta SDS is not offered.
/// </summary>
public sealed partial class SdsService(SecretStore store, ILogger<SdsService> logger) : SecretDiscoveryService.SecretDiscoveryServiceBase
{
    public const string SecretType = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret";

    private long _nonce;

    public override Task<DiscoveryResponse> FetchSecrets(DiscoveryRequest request, ServerCallContext context) =>
        Task.FromResult(Response(request.ResourceNames));

    public override async Task StreamSecrets(IAsyncStreamReader<DiscoveryRequest> requestStream, IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context)
    {
        using var changed = new SemaphoreSlim(0);
        void OnChanged() => changed.Release();
        store.Changed += OnChanged;
        try
        {
            string[] names = [];
            string? sentVersion = null;
            var nextRequest = requestStream.MoveNext(context.CancellationToken);
            var nextChange = changed.WaitAsync(context.CancellationToken);
            while (true)
            {
                var done = await Task.WhenAny(nextRequest, nextChange).ConfigureAwait(false);
                if (done == nextRequest)
                {
                    if (!await nextRequest.ConfigureAwait(false))
                    {
                        return;
                    }

                    var request = requestStream.Current;
                    if (request.ErrorDetail != null)
                    {
                        Log.Nacked(logger, request.ResponseNonce, request.ErrorDetail.Message);
                    }

                    // A request naming other secrets (or the first one) gets an answer; an ACK of what was sent does not.
                    var requested = request.ResourceNames.Order(StringComparer.Ordinal).ToArray();
                    var resend = sentVersion == null || !requested.SequenceEqual(names);
                    names = requested;
                    nextRequest = requestStream.MoveNext(context.CancellationToken);
                    if (!resend)
                    {
                        continue;
                    }
                }
                else
                {
                    await nextChange.ConfigureAwait(false);
                    nextChange = changed.WaitAsync(context.CancellationToken);
                    if (Version() == sentVersion)
                    {
                        continue;
                    }
                }

                var response = Response(names);
                sentVersion = response.VersionInfo;
                await responseStream.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The Envoy went away.
        }
        finally
        {
            store.Changed -= OnChanged;
        }
    }

    /// <summary>Both secrets' versions together: a change to either is a new version of the stream.</summary>
    private string Version() => $"{store.Certificate?.Version ?? "-"}/{store.Roots?.Version ?? "-"}";

    private DiscoveryResponse Response(IEnumerable<string> names)
    {
        var response = new DiscoveryResponse
        {
            VersionInfo = Version(),
            TypeUrl = SecretType,
            Nonce = Interlocked.Increment(ref _nonce).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        foreach (var name in names)
        {
            if (ToSecret(name) is { } secret)
            {
                response.Resources.Add(Any.Pack(secret));
            }
        }

        return response;
    }

    /// <summary>A secret as Envoy reads it, or null when the store does not hold it (yet).</summary>
    internal Secret? ToSecret(string name)
    {
        if (name == SecretStore.DefaultSecret && store.Certificate is { } workload)
        {
            var chain = string.Concat(workload.Chain.Take(Math.Max(1, workload.Chain.Count - 1)).Select(c => c.ExportCertificatePem() + "\n"));
            return new Secret
            {
                Name = name,
                TlsCertificate = new TlsCertificate
                {
                    CertificateChain = Inline(chain),
                    PrivateKey = Inline(PrivateKeyPem(workload.Leaf)),
                },
            };
        }

        if (name == SecretStore.RootSecret && store.Roots is { } bundle)
        {
            return new Secret
            {
                Name = name,
                ValidationContext = new CertificateValidationContext { TrustedCa = Inline(string.Concat(bundle.Roots.Select(c => c.ExportCertificatePem() + "\n"))) },
            };
        }

        return null;
    }

    private static DataSource Inline(string pem) => new() { InlineBytes = ByteString.CopyFrom(Encoding.ASCII.GetBytes(pem)) };

    private static string PrivateKeyPem(X509Certificate2 leaf)
    {
        using var key = (AsymmetricAlgorithm?)leaf.GetECDsaPrivateKey() ?? leaf.GetRSAPrivateKey()
            ?? throw new InvalidOperationException("the workload certificate has no private key");
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 75, Level = LogLevel.Warning, Message = "SDS client rejected response {Nonce}: {Reason}")]
        public static partial void Nacked(ILogger logger, string nonce, string reason);
    }
}
