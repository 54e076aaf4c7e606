using System.Text.Json;
using Envoy.Config.Accesslog.V3;
using Envoy.Config.Core.V3;
using Envoy.Extensions.AccessLoggers.File.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.Telemetry;

public sealed class AccessLogPlanTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"meshwork-plan-{Guid.NewGuid():N}.log");

    public void Dispose() => File.Delete(_path);

    private AccessLog FileLog(SubstitutionFormatString format, AccessLogFilter? filter = null) =>
        new() { Name = AccessLogPlan.FileLogger, Filter = filter, TypedConfig = Any.Pack(new FileAccessLog { Path = _path, LogFormat = format }) };

    private static AccessLogRecord Record(int code, string flags = "-") => new()
    {
        StartTime = DateTimeOffset.UnixEpoch,
        RequestHeader = name => name == ":method" ? "POST" : null,
        ResponseCode = code,
        ResponseFlags = flags,
        Duration = TimeSpan.FromMilliseconds(12),
    };

    private async Task<string[]> LinesAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var lines = File.Exists(_path) ? await File.ReadAllLinesAsync(_path) : [];
            if (lines.Length >= count || timeout.IsCancellationRequested)
            {
                return lines;
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Log_JsonFormat_NumbersAsNumbersAndMissingAsNull()
    {
        var json = new Struct { Fields = { ["method"] = Value.ForString("%REQ(:METHOD)%"), ["code"] = Value.ForString("%RESPONSE_CODE%"), ["sni"] = Value.ForString("%REQUESTED_SERVER_NAME%") } };
        var plan = AccessLogPlan.Compile(FileLog(new SubstitutionFormatString { JsonFormat = json }), "l");

        plan.Log(Record(201));

        using var line = JsonDocument.Parse(Assert.Single(await LinesAsync(1)));
        Assert.Equal("POST", line.RootElement.GetProperty("method").GetString());
        Assert.Equal(JsonValueKind.Number, line.RootElement.GetProperty("code").ValueKind);
        Assert.Equal(201, line.RootElement.GetProperty("code").GetInt32());
        Assert.Equal(JsonValueKind.Null, line.RootElement.GetProperty("sni").ValueKind);
    }

    [Fact]
    public async Task Log_StatusCodeFilter_KeepsOnlyMatchingRequests()
    {
        var filter = new AccessLogFilter { StatusCodeFilter = new StatusCodeFilter { Comparison = new ComparisonFilter { Op = ComparisonFilter.Types.Op.Ge, Value = new Envoy.Config.Core.V3.RuntimeUInt32 { DefaultValue = 400 } } } };
        var plan = AccessLogPlan.Compile(FileLog(new SubstitutionFormatString { TextFormatSource = new DataSource { InlineString = "%RESPONSE_CODE%\n" } }, filter), "l");

        plan.Log(Record(200));
        plan.Log(Record(503));
        plan.Log(Record(404));

        Assert.Equal(["503", "404"], await LinesAsync(2));
    }

    [Fact]
    public void Compile_OtherLogger_IsAConfigErrorNamingIt()
    {
        var log = new AccessLog { Name = "envoy.access_loggers.stdout", TypedConfig = Any.Pack(new Empty()) };

        var error = Assert.Throws<ProxyConfigException>(() => AccessLogPlan.Compile(log, "listener \"l\": access_log[0]"));

        Assert.StartsWith("listener \"l\": access_log[0] \"envoy.access_loggers.stdout\": only envoy.access_loggers.file", error.Message);
    }
}
