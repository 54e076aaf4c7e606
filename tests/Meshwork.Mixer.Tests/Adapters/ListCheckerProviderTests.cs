using System.Net;
using Meshwork.Mixer.Adapters;
using Meshwork.Mixer.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using StatusCodes = Meshwork.Mixer.Adapters.StatusCodes;

namespace Meshwork.Mixer.Tests.Adapters;

/// <summary>listchecker with providerUrl: the list is fetched from a real HTTP server on loopback and refreshed on the fake clock.</summary>
public class ListCheckerProviderTests
{
    private static InstanceValue Entry(object value) =>
        new("appversion.instance.default", "listentry", new Dictionary<string, object> { ["value"] = value }, new Dictionary<string, IReadOnlyDictionary<string, object>>());

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Check_ProviderList_IsFetchedRefreshedAndPurgedAfterTtl()
    {
        var body = "# versions\n- v1\n- v2\n";
        var status = 200;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.MapGet("/list", (HttpContext c) =>
        {
            c.Response.StatusCode = status;
            return c.Response.WriteAsync(body);
        });
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/list";

        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        using var http = new HttpClient();
        var resources = Samples.Text($$"""
            apiVersion: config.istio.io/v1alpha2
            kind: handler
            metadata: {name: versions}
            spec:
              compiledAdapter: listchecker
              params: {providerUrl: "{{url}}", refreshInterval: 60s, ttl: 150s, overrides: [v9]}
            """);
        using var runtime = new MixerRuntime(new AdapterContext { Time = clock, Http = http });
        Assert.Empty(runtime.Update(resources));
        var checker = (ListCheckerAdapter)Assert.Single(runtime.Snapshot.Handlers);

        await WaitUntil(() => checker.HasList, "the first fetch installs the list");
        Assert.True(checker.Check(Entry("v2")).IsOk);
        Assert.True(checker.Check(Entry("v9")).IsOk);
        Assert.Equal(StatusCodes.NotFound, checker.Check(Entry("v3")).Code);

        body = "- v3\n";
        clock.Advance(TimeSpan.FromSeconds(60));
        await WaitUntil(() => checker.Check(Entry("v3")).IsOk, "the refresh installs the new list");
        Assert.Equal(StatusCodes.NotFound, checker.Check(Entry("v1")).Code);

        // The provider fails from now on: the list is kept until ttl passes without a good fetch, then checks are UNAVAILABLE.
        status = 500;
        clock.Advance(TimeSpan.FromSeconds(60));
        Assert.True(checker.Check(Entry("v3")).IsOk);
        clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(StatusCodes.Unavailable, checker.Check(Entry("v3")).Code);
    }

    [Theory]
    [InlineData("CASE_INSENSITIVE_STRINGS", "[\"Alice\"]", "ALICE", true)]
    [InlineData("STRINGS", "[\"Alice\"]", "ALICE", false)]
    [InlineData("REGEX", "[\"^/api/v[0-9]+$\"]", "/api/v2", true)]
    [InlineData("IP_ADDRESSES", "[\"10.0.0.0/8\", \"192.168.1.1\"]", "192.168.1.1", true)]
    public void Check_EntryTypes_MatchAsIstio(string type, string overrides, string value, bool found)
    {
        using var runtime = new MixerRuntime(new AdapterContext());
        Assert.Empty(runtime.Update(Samples.Text($"apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {{name: l}}\nspec:\n  compiledAdapter: listchecker\n  params: {{entryType: {type}, overrides: {overrides}}}\n")));
        var checker = (ICheckAdapter)Assert.Single(runtime.Snapshot.Handlers);
        Assert.Equal(found, checker.Check(Entry(value)).IsOk);
    }

    [Fact]
    public void Check_Blacklist_DeniesListedValues()
    {
        using var runtime = new MixerRuntime(new AdapterContext());
        Assert.Empty(runtime.Update(Samples.Text("apiVersion: config.istio.io/v1alpha2\nkind: handler\nmetadata: {name: l}\nspec:\n  compiledAdapter: listchecker\n  params: {blacklist: true, overrides: [bad]}\n")));
        var checker = (ICheckAdapter)Assert.Single(runtime.Snapshot.Handlers);
        var denied = checker.Check(Entry("bad"));
        Assert.Equal(StatusCodes.PermissionDenied, denied.Code);
        Assert.Equal("bad is blacklisted", denied.Message);
        Assert.True(checker.Check(Entry("good")).IsOk);
    }
}
