using Envoy.Config.Listener.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Extensions.Filters.Network.TcpProxy.V3;
using Meshwork.Config.Mesh;
using Meshwork.Pilot.Generators.Listeners;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Listeners;

/// <summary>MeshConfig's accessLogFile/accessLogEncoding/accessLogFormat on every HCM and tcp_proxy, as Istio sets them.</summary>
public sealed class AccessLogsTests
{
    private static readonly ProxyNode Client = RouteTestMesh.Proxy("client", "127.0.0.10", "app=client", ports: "http=9080");

    private static readonly string Services =
        RouteTestMesh.Service("client") +
        RouteTestMesh.Service("mongodb", ports: "{number: 27017, name: mongo, protocol: MONGO}");

    private static List<Listener> Listeners(MeshConfig mesh) =>
        new ListenerGenerator().Generate(RouteTestMesh.Snapshot(Services, [Client], mesh), Client, null).Select(r => r.Resource.Unpack<Listener>()).ToList();

    private static IEnumerable<FileAccessLog> Logs(Listener listener) =>
        listener.FilterChains.SelectMany(c => c.Filters).SelectMany(f =>
            f.TypedConfig.TryUnpack<HttpConnectionManager>(out var hcm) ? hcm.AccessLog.Select(l => l.TypedConfig.Unpack<FileAccessLog>())
            : f.TypedConfig.TryUnpack<TcpProxy>(out var tcp) ? tcp.AccessLog.Select(l => l.TypedConfig.Unpack<FileAccessLog>())
            : []);

    [Fact]
    public void Generate_NoAccessLogFile_NoLogs()
    {
        Assert.All(Listeners(MeshConfig.Default), l => Assert.Empty(Logs(l)));
    }

    [Fact]
    public void Generate_AccessLogFile_IstiosTextFormatOnEveryHcmAndTcpProxy()
    {
        var listeners = Listeners(MeshConfig.Default with { AccessLogFile = "/dev/stdout" });

        var filters = listeners.SelectMany(l => l.FilterChains).SelectMany(c => c.Filters).Count(f => f.TypedConfig.TryUnpack<HttpConnectionManager>(out _) || f.TypedConfig.TryUnpack<TcpProxy>(out _));
        var logs = listeners.SelectMany(Logs).ToList();
        Assert.True(filters >= 2);
        Assert.Equal(filters, logs.Count);
        Assert.All(logs, log =>
        {
            Assert.Equal("/dev/stdout", log.Path);
            Assert.Equal(AccessLogs.IstioTextFormat, log.LogFormat.TextFormatSource.InlineString);
        });
    }

    [Fact]
    public void Generate_JsonEncoding_IstiosJsonKeysOrTheGivenObject()
    {
        var standard = Listeners(MeshConfig.Default with { AccessLogFile = "/tmp/a.log", AccessLogEncoding = AccessLogEncoding.Json }).SelectMany(Logs).First();
        var custom = Listeners(MeshConfig.Default with { AccessLogFile = "/tmp/a.log", AccessLogEncoding = AccessLogEncoding.Json, AccessLogFormat = """{"code": "%RESPONSE_CODE%", "who": "%REQ(X-USER)%"}""" }).SelectMany(Logs).First();

        Assert.Equal("%RESPONSE_CODE%", standard.LogFormat.JsonFormat.Fields["response_code"].StringValue);
        Assert.Equal(24, standard.LogFormat.JsonFormat.Fields.Count);
        Assert.Equal(["code", "who"], custom.LogFormat.JsonFormat.Fields.Keys.Order());
    }

    [Fact]
    public void MeshConfig_JsonEncodingWithAFormatThatIsNotAnObject_IsALocatedError()
    {
        var outcome = MeshConfigReader.ReadText("accessLogFile: /dev/stdout\naccessLogEncoding: JSON\naccessLogFormat: '[1, 2]'\n", "mesh.yaml");

        Assert.False(outcome.IsValid);
        var error = Assert.Single(outcome.Diagnostics, d => d.IsError);
        Assert.Equal(3, error.Line);
        Assert.Contains("with JSON encoding the format must be a JSON object", error.Message);
    }
}
