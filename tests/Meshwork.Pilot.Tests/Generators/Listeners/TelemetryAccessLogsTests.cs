using Envoy.Config.Listener.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.AccessLoggers.Filters.Cel.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Config.Mesh;
using Meshwork.Config.Values;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

/// <summary>The Telemetry API's access logging as Istio merges it: levels, modes, providers, filters, and the fall-back to MeshConfig.</summary>
public sealed class TelemetryAccessLogsTests
{
    private static readonly ProxyNode Client = RouteTestMesh.Proxy("client", "127.0.0.10", "app=client", ports: "http=9080");

    private static readonly MeshConfig Mesh = MeshConfig.Default with
    {
        AccessLogFile = "/var/log/legacy.log",
        ExtensionProviders = new ValueList<ExtensionProvider>(
        [
            new ExtensionProvider { Name = "file-a", EnvoyFileAccessLog = new FileAccessLogProvider { Path = "/tmp/a.log" } },
            new ExtensionProvider { Name = "file-b", EnvoyFileAccessLog = new FileAccessLogProvider { Path = "/tmp/b.log", LogFormat = new FileAccessLogFormat { Text = "%RESPONSE_CODE%" } } },
        ]),
    };

    /// <summary>
    /// Per listener direction: the logs of the inbound HCMs and of the outbound HCM (virtualOutbound).
    /// The inbound listener has an HCM per filter chain (PERMISSIVE: mTLS and plaintext) with the
    /// same logs, so each distinct log is listed once.
    /// </summary>
    private static (List<(FileAccessLog Log, string? Filter)> Inbound, List<(FileAccessLog Log, string? Filter)> Outbound) Logs(string telemetry, MeshConfig? mesh = null)
    {
        var snapshot = RouteTestMesh.Snapshot(RouteTestMesh.Service("client") + telemetry, [Client], mesh ?? Mesh);
        var listeners = new ListenerGenerator().Generate(snapshot, Client, null).Select(r => r.Resource.Unpack<Listener>()).ToList();
        List<(FileAccessLog, string?)> Of(Listener listener) => listener.FilterChains.SelectMany(c => c.Filters)
            .Where(f => f.TypedConfig.TryUnpack<HttpConnectionManager>(out _))
            .SelectMany(f => f.TypedConfig.Unpack<HttpConnectionManager>().AccessLog)
            .Select(l => (l.TypedConfig.Unpack<FileAccessLog>(), l.Filter?.ExtensionFilter?.TypedConfig.Unpack<ExpressionFilter>().Expression))
            .Distinct()
            .ToList();
        return (Of(listeners.First(l => l.TrafficDirection == Envoy.Config.Core.V3.TrafficDirection.Inbound)), Of(listeners.First(l => l.Name == "virtualOutbound")));
    }

    private static string Telemetry(string name, string ns, string spec) =>
        $"---\napiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}\n";

    [Fact]
    public void Generate_NoTelemetry_MeshConfigAccessLogFileOnBothSides()
    {
        var (inbound, outbound) = Logs(string.Empty);

        Assert.Equal("/var/log/legacy.log", Assert.Single(inbound).Log.Path);
        Assert.Equal("/var/log/legacy.log", Assert.Single(outbound).Log.Path);
    }

    [Fact]
    public void Generate_RootTelemetryWithProviderAndFilter_ReplacesMeshConfigLog()
    {
        var (inbound, outbound) = Logs(Telemetry("mesh", "istio-system", "  accessLogging:\n  - providers: [{name: file-b}]\n    filter: {expression: 'response.code >= 400'}"));

        Assert.All([.. inbound, .. outbound], l =>
        {
            Assert.Equal("/tmp/b.log", l.Log.Path);
            Assert.Equal("%RESPONSE_CODE%\n", l.Log.LogFormat.TextFormatSource.InlineString);
            Assert.Equal("response.code >= 400", l.Filter);
        });
        Assert.Single(inbound);
    }

    [Fact]
    public void Generate_NamespaceLevelNamingProviders_ReplacesTheSetAndWorkloadDisablesServerSide()
    {
        var telemetry =
            Telemetry("mesh", "istio-system", "  accessLogging:\n  - providers: [{name: file-a}]") +
            Telemetry("ns", "default", "  accessLogging:\n  - providers: [{name: file-b}]") +
            Telemetry("client", "default", "  selector: {matchLabels: {app: client}}\n  accessLogging:\n  - match: {mode: SERVER}\n    disabled: true");

        var (inbound, outbound) = Logs(telemetry);

        Assert.Empty(inbound);
        Assert.Equal("/tmp/b.log", Assert.Single(outbound).Log.Path);
    }

    [Fact]
    public void Generate_DefaultProvidersAndBuiltInEnvoy_StdoutWithIstiosFormat()
    {
        var mesh = Mesh with { DefaultProviders = new DefaultProviders { AccessLogging = new ValueList<string>(["envoy"]) } };

        var (inbound, outbound) = Logs(string.Empty, mesh);

        Assert.All([.. inbound, .. outbound], l =>
        {
            Assert.Equal("/dev/stdout", l.Log.Path);
            Assert.Equal(AccessLogs.IstioTextFormat, l.Log.LogFormat.TextFormatSource.InlineString);
            Assert.Null(l.Filter);
        });
        Assert.Single(outbound);
    }

    [Fact]
    public void Generate_ClientModeEntryFilter_OnlyOnTheOutboundSide()
    {
        var (inbound, outbound) = Logs(Telemetry("mesh", "istio-system", "  accessLogging:\n  - providers: [{name: file-a}]\n  - match: {mode: CLIENT}\n    filter: {expression: 'response.code == 503'}"));

        Assert.Null(Assert.Single(inbound).Filter);
        Assert.Equal("response.code == 503", Assert.Single(outbound).Filter);
    }
}
