using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Cluster.V3;
using Envoy.Extensions.TransportSockets.Tls.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Connections;
using Meshwork.Proxy.Security;
using Meshwork.Proxy.Tests.Connections;
using Meshwork.Proxy.Upstream;
using static Meshwork.Proxy.Tests.Upstream.UpstreamTestClusters;
using SanType = Envoy.Extensions.TransportSockets.Tls.V3.SubjectAltNameMatcher.Types.SanType;

namespace Meshwork.Proxy.Tests.Security;

/// <summary>
/// Istio's mTLS contexts (SDS <c>default</c> and <c>ROOTCA</c>, SAN matchers) on both ends of a real
/// loopback TLS connection: an upstream cluster's transport dialling a downstream chain's termination,
/// each side reading its own secret store at handshake time.
/// </summary>
public sealed class SdsMutualTlsTests : IAsyncLifetime
{
    private const string ServerId = "spiffe://cluster.local/ns/shop/sa/catalog";
    private const string ClientId = "spiffe://cluster.local/ns/shop/sa/frontend";

    private readonly TempDirectory _directory = new();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly SecretStore _serverSecrets = new(active: true);
    private readonly SecretStore _clientSecrets = new(active: true);
    private TestMeshCa _ca = null!;
    private DownstreamTls _downstream = null!;
    private Task? _serving;

    public Task InitializeAsync()
    {
        _ca = new TestMeshCa(TimeProvider.System, _directory.Path);
        _downstream = DownstreamTls.Compile(MeshServerContext(ClientId), "listener \"inbound\": chain", ["http/1.1"]);
        _listener.Start();
        _serving = ServeAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        if (_serving != null)
        {
            await _serving;
        }

        _ca.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Handshake_SdsDefaultAndRootCa_MutualTlsWithTheStoresCertificates()
    {
        var server = Issue(_serverSecrets, ServerId);
        var client = Issue(_clientSecrets, ClientId);

        var body = await GetAsync(Upstream(ServerId));

        Assert.Equal($"{server.SerialNumber} {client.SerialNumber}", body);
    }

    [Fact]
    public async Task Handshake_AfterRotation_TheNextConnectionUsesTheNewCertificates_WithoutRecompiling()
    {
        Issue(_serverSecrets, ServerId);
        Issue(_clientSecrets, ClientId);
        var upstream = Upstream(ServerId);
        await GetAsync(upstream);

        var server = Issue(_serverSecrets, ServerId);
        var client = Issue(_clientSecrets, ClientId);
        var body = await GetAsync(upstream);

        Assert.Equal($"{server.SerialNumber} {client.SerialNumber}", body);
    }

    [Fact]
    public async Task Handshake_PeerSanNotMatched_IsRefusedOnBothSides()
    {
        Issue(_serverSecrets, ServerId);
        Issue(_clientSecrets, "spiffe://cluster.local/ns/shop/sa/intruder");

        // The server refuses a client whose SAN its matcher does not name...
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync(Upstream(ServerId)));

        // ...and the client refuses a server that is not the identity it expects.
        Issue(_clientSecrets, ClientId);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync(Upstream("spiffe://cluster.local/ns/shop/sa/reviews")));
    }

    [Fact]
    public async Task Handshake_ClientFromAnotherCa_IsRefused()
    {
        Issue(_serverSecrets, ServerId);
        using var other = new TestMeshCa(TimeProvider.System, _directory.Path, "other root");
        _clientSecrets.SetRoots(new TrustBundle([_ca.Root], "1", DateTimeOffset.UtcNow));
        _clientSecrets.SetCertificate(new WorkloadCertificate(other.IssueWithKey(ClientId, TimeSpan.FromHours(1)), [other.Root], "2", DateTimeOffset.UtcNow));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync(Upstream(ServerId)));
    }

    [Fact]
    public async Task Handshake_BeforeTheFirstCertificate_FailsAsNotReady_AndTheChainRefuses()
    {
        var upstream = Upstream(ServerId);

        var error = await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync(upstream));

        Assert.Contains("SDS secret \"default\" has not arrived", error.ToString());
        Assert.False(_downstream.TryCreateOptions(null, _serverSecrets, out _, out var refusal));
        Assert.Contains("SDS secret \"default\" has not arrived", refusal);
    }

    [Fact]
    public void Transport_SdsWithoutTheAgent_StaysUnavailableWithTheSameReason()
    {
        var (set, _) = NewSet();

        var upstream = set.ApplyOne(MeshCluster(ServerId));

        Assert.Equal("TLS credentials unavailable: client certificate \"default\" comes from SDS, which this proxy does not serve yet", upstream.Pick(default)!.Transport.UnavailableReason);
    }

    private X509Certificate2 Issue(SecretStore store, string identity)
    {
        var leaf = _ca.IssueWithKey(identity, TimeSpan.FromHours(1));
        store.SetRoots(new TrustBundle([_ca.Root], store.NextVersion(), DateTimeOffset.UtcNow));
        store.SetCertificate(new WorkloadCertificate(leaf, [leaf, _ca.Root], store.NextVersion(), DateTimeOffset.UtcNow));
        return leaf;
    }

    private UpstreamCluster Upstream(string serverIdentity)
    {
        var (set, _) = NewSet(options: new UpstreamOptions { Secrets = _clientSecrets });
        return set.ApplyOne(MeshCluster(serverIdentity));
    }

    private Cluster MeshCluster(string serverIdentity)
    {
        var context = new UpstreamTlsContext { Sni = "outbound_.80_._.catalog.shop.svc.cluster.local", CommonTlsContext = MeshCommonContext(serverIdentity) };
        return new Cluster
        {
            Name = "outbound|80||catalog.shop.svc.cluster.local",
            Type = Cluster.Types.DiscoveryType.Static,
            LoadAssignment = Assignment("catalog", Host("127.0.0.1", ((IPEndPoint)_listener.LocalEndpoint).Port)),
            TransportSocket = new TransportSocket { Name = "envoy.transport_sockets.tls", TypedConfig = Any.Pack(context) },
        };
    }

    /// <summary>What Pilot sends for ISTIO_MUTUAL: the workload certificate and the root by SDS, the peer's SPIFFE id as a typed URI matcher.</summary>
    private static CommonTlsContext MeshCommonContext(string peer) => new()
    {
        TlsCertificateSdsSecretConfigs = { new SdsSecretConfig { Name = "default" } },
        CombinedValidationContext = new CommonTlsContext.Types.CombinedCertificateValidationContext
        {
            DefaultValidationContext = new CertificateValidationContext
            {
                MatchTypedSubjectAltNames = { new SubjectAltNameMatcher { SanType = SanType.Uri, Matcher = new StringMatcher { Exact = peer } } },
            },
            ValidationContextSdsSecretConfig = new SdsSecretConfig { Name = "ROOTCA" },
        },
    };

    private static DownstreamTlsContext MeshServerContext(string peer) => new() { CommonTlsContext = MeshCommonContext(peer), RequireClientCertificate = true };

    private static async Task<string> GetAsync(UpstreamCluster cluster)
    {
        var endpoint = cluster.Pick(default)!;
        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint.DestinationPrefix + "/") { Version = HttpVersion.Version11 };
        request.Headers.Host = "catalog.shop";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await endpoint.Transport.Invoker!.SendAsync(request, timeout.Token);
        return await response.Content.ReadAsStringAsync(timeout.Token);
    }

    /// <summary>Terminates each connection with the chain's options from the store now, then answers with both certificates' serials.</summary>
    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    if (!_downstream.TryCreateOptions(null, _serverSecrets, out var options, out _))
                    {
                        return;
                    }

                    await using var ssl = new SslStream(client.GetStream());
                    try
                    {
                        await ssl.AuthenticateAsServerAsync(options, _stop.Token);
                        var buffer = new byte[4096];
                        var read = 0;
                        while (!Encoding.ASCII.GetString(buffer, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                        {
                            var n = await ssl.ReadAsync(buffer.AsMemory(read), _stop.Token);
                            if (n == 0)
                            {
                                return;
                            }

                            read += n;
                        }

                        var body = $"{((X509Certificate2)ssl.LocalCertificate!).SerialNumber} {((X509Certificate2)ssl.RemoteCertificate!).SerialNumber}";
                        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
                    }
                    catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or OperationCanceledException)
                    {
                        // A refused handshake: the client sees the connection fail.
                    }
                }
            });
        }
    }
}
