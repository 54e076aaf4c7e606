using System.Net;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>
/// Mixer as a server of its own (a meshd with <c>--mixer-address</c> and only Mixer config: the
/// samples' attribute manifest and version white list, read in place, and a rule denying
/// <c>x-user: blocked</c>), used by two meshes whose MeshConfig names it (mixerCheckServer,
/// mixerReportServer), one with <c>policyCheckFailOpen: true</c> and one without. Each mesh has a
/// ratings workload and reviews-v1 and reviews-v4 clients.
/// </summary>
public sealed class MixerServerMesh : IAsyncLifetime
{
    private const string BlockUser = """
        apiVersion: config.istio.io/v1alpha2
        kind: handler
        metadata: {name: blockuser, namespace: istio-system}
        spec:
          compiledAdapter: denier
          params:
            status: {code: 7, message: blocked user}
            validDuration: 600s
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: instance
        metadata: {name: blockuser, namespace: istio-system}
        spec:
          compiledTemplate: checknothing
        ---
        apiVersion: config.istio.io/v1alpha2
        kind: rule
        metadata: {name: blockuser, namespace: istio-system}
        spec:
          match: request.headers["x-user"] == "blocked"
          actions:
          - handler: blockuser
            instances: [blockuser]
        """;

    private string _mixerConfig = string.Empty;

    public int MixerPort { get; private set; }

    public MeshdProcess Mixer { get; private set; } = null!;

    public MeshHarness Open { get; private set; } = null!;

    public MeshHarness Closed { get; private set; } = null!;

    public Dictionary<(bool Open, string Client), ProxyProcess> Clients { get; } = [];

    public Dictionary<bool, ProxyProcess> Ratings { get; } = [];

    public async Task InitializeAsync()
    {
        _mixerConfig = Directory.CreateTempSubdirectory("mixer-server-").FullName;
        foreach (var (link, sample) in new[] { ("attributes.yaml", "config/attributes.yaml"), ("whitelist.yaml", "bookinfo-policy/mixer-rule-deny-whitelist.yaml") })
        {
            File.CreateSymbolicLink(Path.Combine(_mixerConfig, link), MixerPolicyMesh.Sample(sample));
        }

        await File.WriteAllTextAsync(Path.Combine(_mixerConfig, "blockuser.yaml"), BlockUser);
        MixerPort = LoopbackPorts.FreePort();
        await StartMixerAsync();
        foreach (var open in new[] { true, false })
        {
            var mesh = await MeshHarness.StartWithMeshConfigAsync(
                $"mixerCheckServer: 127.0.0.1:{MixerPort}\nmixerReportServer: 127.0.0.1:{MixerPort}\npolicyCheckFailOpen: {(open ? "true" : "false")}\n",
                ("services.yaml", HttpMeshes.Service("ratings", "app: ratings")));
            (Ratings[open], _) = await mesh.AddWorkloadAsync("ratings-v1", "default", "app=ratings,version=v1");
            foreach (var version in new[] { "v1", "v4" })
            {
                Clients[(open, version)] = await mesh.AddClientAsync($"reviews-{version}", "default", $"app=reviews,version={version}");
            }

            if (open)
            {
                Open = mesh;
            }
            else
            {
                Closed = mesh;
            }
        }
    }

    /// <summary>(Re)starts the Mixer server on its port and waits until it has compiled its config.</summary>
    public async Task StartMixerAsync()
    {
        Mixer = MeshdProcess.Start("--config-dir", _mixerConfig, "--mixer-address", $"127.0.0.1:{MixerPort}");
        await Mixer.WaitReadyAsync();
        await Mixer.WaitForOutputAsync("mixer config:");
    }

    public async Task DisposeAsync()
    {
        await Open.DisposeAsync();
        await Closed.DisposeAsync();
        await Mixer.DisposeAsync();
        Directory.Delete(_mixerConfig, recursive: true);
    }
}

public class MixerOutageTests(MixerServerMesh fixture) : IClassFixture<MixerServerMesh>
{
    [Fact]
    public async Task Whitelist_VersionNotListed_NotFound()
    {
        var listed = await MeshHarness.UntilAsync(fixture.Clients[(false, "v1")], () => MixerPolicyMesh.Get("ratings"), (r, _) => r.StatusCode == HttpStatusCode.OK, "reviews-v1 allowed");
        listed.Dispose();
        using var http = fixture.Clients[(false, "v4")].AppClient(TimeSpan.FromSeconds(10));
        using var response = await http.SendAsync(MixerPolicyMesh.Get("ratings"));
        var body = await response.Content.ReadAsStringAsync();

        // The listchecker answers NOT_FOUND for a value missing from a white list; the filter turns the status into its HTTP code.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.StartsWith("NOT_FOUND:", body);
        Assert.Contains("v4 is not whitelisted", body);
    }

    [Fact]
    public async Task MixerKilled_FailOpenAndFailClose_NewRequestsPassOrGet503CachedAnswersStand()
    {
        // With Mixer up both meshes check: alice is allowed, the blocked user denied (and both answers cached).
        foreach (var open in new[] { true, false })
        {
            var client = fixture.Clients[(open, "v1")];
            (await MeshHarness.UntilAsync(client, () => MixerPolicyMesh.Get("ratings", "alice"), (r, _) => r.StatusCode == HttpStatusCode.OK, "alice allowed")).Dispose();
            (await MeshHarness.UntilAsync(client, () => MixerPolicyMesh.Get("ratings", "blocked"), (r, _) => r.StatusCode == HttpStatusCode.Forbidden, "blocked user denied")).Dispose();
        }

        await fixture.Mixer.DisposeAsync();
        try
        {
            foreach (var open in new[] { true, false })
            {
                using var http = fixture.Clients[(open, "v1")].AppClient(TimeSpan.FromSeconds(30));

                // Answers in the check cache need no Mixer.
                using (var cached = await http.SendAsync(MixerPolicyMesh.Get("ratings", "alice")))
                {
                    Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
                }

                using (var denied = await http.SendAsync(MixerPolicyMesh.Get("ratings", "blocked")))
                {
                    Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
                }

                // A user never seen before misses the cache: the network fail policy decides.
                using var fresh = await http.SendAsync(MixerPolicyMesh.Get("ratings", "bob-" + open));
                var body = await fresh.Content.ReadAsStringAsync();
                if (open)
                {
                    Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, fresh.StatusCode);
                    Assert.StartsWith("UNAVAILABLE:", body);
                }
            }
        }
        finally
        {
            await fixture.StartMixerAsync();
        }
    }
}
