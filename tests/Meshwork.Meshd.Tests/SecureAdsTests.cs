using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Net.Client;

namespace Meshwork.Meshd.Tests;

/// <summary>ADS over TLS on the secure address, with meshd's certificate issued by the mesh CA.</summary>
public sealed class SecureAdsTests
{
    private static GrpcChannel TrustingOnly(string address, X509Certificate2Collection roots, Action<X509Certificate2?>? seen = null) =>
        GrpcChannel.ForAddress($"https://{address}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = MeshRootTrust.Only(roots, seen),
                },
            },
        });

    [Fact]
    public async Task SecureAddress_ServesAdsWithACertificateFromTheMeshCa()
    {
        await using var meshd = MeshdProcess.Start();
        await meshd.WaitReadyAsync();
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(meshd.CaDirectory, "root-cert.pem"));
        X509Certificate2? served = null;

        using var channel = TrustingOnly($"127.0.0.1:{meshd.SecurePort}", roots, c => served = c);
        using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
        await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = new Node { Id = "sidecar~127.0.0.9~a.shop~shop.svc.cluster.local" }, TypeUrl = "type.googleapis.com/envoy.config.cluster.v3.Cluster" });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        Assert.True(await call.ResponseStream.MoveNext(cts.Token));
        Assert.Equal("type.googleapis.com/envoy.config.cluster.v3.Cluster", call.ResponseStream.Current.TypeUrl);
        Assert.NotNull(served);
        Assert.Contains("spiffe://cluster.local/ns/istio-system/sa/meshd", served!.Extensions["2.5.29.17"]!.Format(false));
    }

    [Fact]
    public async Task SecureAddress_ClientThatTrustsAnotherRoot_IsRefused()
    {
        await using var meshd = MeshdProcess.Start();
        await meshd.WaitReadyAsync();
        var otherRoots = new X509Certificate2Collection();
        otherRoots.ImportFromPemFile(Path.Combine(MeshdProcess.SharedSamples, "security", "certs", "root-cert.pem"));

        X509Certificate2? presented = null;
        using var channel = TrustingOnly($"127.0.0.1:{meshd.SecurePort}", otherRoots, c => presented = c);
        using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();

        var error = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = new Node { Id = "sidecar~127.0.0.9~a.shop~shop.svc.cluster.local" } });
            await call.ResponseStream.MoveNext(CancellationToken.None);
        });

        // The handshake happened (meshd presented its certificate) and the client refused it.
        Assert.NotNull(presented);
        Assert.Contains("SSL", error.Status.DebugException?.ToString() ?? error.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CaDirectory_KeepsItsRootAcrossRestarts()
    {
        var caDirectory = Directory.CreateTempSubdirectory("meshd-ca-kept-").FullName;
        try
        {
            await using (var first = MeshdProcess.StartWithCa(caDirectory))
            {
                await first.WaitReadyAsync();
            }

            var root = File.ReadAllText(Path.Combine(caDirectory, "root-cert.pem"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(caDirectory, "ca-key.pem")));

            await using (var second = MeshdProcess.StartWithCa(caDirectory))
            {
                await second.WaitReadyAsync();
            }

            Assert.Equal(root, File.ReadAllText(Path.Combine(caDirectory, "root-cert.pem")));
        }
        finally
        {
            Directory.Delete(caDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task PluggedInIstioCa_IsUsed()
    {
        var caDirectory = Directory.CreateTempSubdirectory("meshd-ca-plugged-").FullName;
        try
        {
            foreach (var file in new[] { "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem" })
            {
                File.Copy(Path.Combine(MeshdProcess.SharedSamples, "security", "certs", file), Path.Combine(caDirectory, file));
            }

            await using var meshd = MeshdProcess.StartWithCa(caDirectory);
            await meshd.WaitReadyAsync();
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(Path.Combine(MeshdProcess.SharedSamples, "security", "certs", "root-cert.pem"));
            X509Certificate2? served = null;
            using var channel = TrustingOnly($"127.0.0.1:{meshd.SecurePort}", roots, c => served = c);
            using var call = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel).StreamAggregatedResources();
            await call.RequestStream.WriteAsync(new DiscoveryRequest { Node = new Node { Id = "sidecar~127.0.0.9~a.shop~shop.svc.cluster.local" }, TypeUrl = "type.googleapis.com/envoy.config.cluster.v3.Cluster" });
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));

            Assert.True(await call.ResponseStream.MoveNext(cts.Token));
            Assert.Contains("CN=Istio CA", served!.Issuer);
        }
        finally
        {
            Directory.Delete(caDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task BrokenCaDirectory_ExitsOneNamingTheFile()
    {
        var caDirectory = Directory.CreateTempSubdirectory("meshd-ca-broken-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(caDirectory, "ca-cert.pem"), "not a certificate");

            var (exit, output) = await MeshdProcess.RunToExitAsync("--ca-dir", caDirectory, "--secure-address", "127.0.0.1:0", "--xds-address", "127.0.0.1:0", "--monitoring-address", "127.0.0.1:0");

            Assert.Equal(1, exit);
            Assert.Contains($"meshd: cannot load the CA from {caDirectory}: {Path.Combine(caDirectory, "ca-key.pem")}: missing", output);
        }
        finally
        {
            Directory.Delete(caDirectory, recursive: true);
        }
    }
}
