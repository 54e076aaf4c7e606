using System.Net;
using Envoy.Config.Accesslog.V3;
using Envoy.Extensions.AccessLoggers.Filters.Cel.V3;
using Meshwork.Proxy.Telemetry;
using Meshwork.Proxy.Telemetry.Cel;

namespace Meshwork.Proxy.Tests.Telemetry;

public sealed class CelFilterTests
{
    private static AccessLogRecord Record(int code = 200, string path = "/productpage?u=1", string? user = null, double ms = 12) => new()
    {
        RequestHeader = name => name switch
        {
            ":method" => "GET",
            ":path" => path,
            ":authority" => "productpage:9080",
            "end-user" => user,
            _ => null,
        },
        ResponseHeader = name => name == "grpc-status" ? "14" : null,
        Protocol = "HTTP/1.1",
        ResponseCode = code,
        BytesSent = 5183,
        Duration = TimeSpan.FromMilliseconds(ms),
        UpstreamHost = "127.0.0.21:9080",
        UpstreamCluster = "outbound|9080||reviews.default.svc.cluster.local",
        DownstreamRemoteAddress = IPEndPoint.Parse("127.0.0.9:40100"),
        DownstreamLocalAddress = IPEndPoint.Parse("127.0.0.20:9080"),
    };

    private static bool Eval(string expression, AccessLogRecord record) => CelFilter.Compile(expression, "log")(record);

    [Theory]
    [InlineData("response.code >= 400", 503, true)]
    [InlineData("response.code >= 400", 200, false)]
    [InlineData("response.code == 200 || response.code == 404", 404, true)]
    [InlineData("response.code != 200 && request.method == 'GET'", 500, true)]
    [InlineData("!(response.code < 500)", 503, true)]
    [InlineData("response.code >= 400.0", 404, true)]
    [InlineData("response.code in [500, 503]", 503, true)]
    [InlineData("response.code in [500, 503]", 502, false)]
    public void Compile_ResponseCodeExpressions_DecideAsCelDoes(string expression, int code, bool logged) =>
        Assert.Equal(logged, Eval(expression, Record(code)));

    [Theory]
    [InlineData("request.url_path == '/productpage'", true)]
    [InlineData("request.path.startsWith('/product')", true)]
    [InlineData("request.url_path.endsWith('.css')", false)]
    [InlineData("request.host.contains('productpage')", true)]
    [InlineData("request.path.matches('^/product[a-z]+')", true)]
    [InlineData("size(request.url_path) == 12", true)]
    [InlineData("request.duration > duration('10ms')", true)]
    [InlineData("request.duration > duration('1s')", false)]
    [InlineData("upstream.port == 9080 && source.address == '127.0.0.9'", true)]
    [InlineData("xds.cluster_name.startsWith('outbound|9080||reviews')", true)]
    [InlineData("response.grpc_status == 14", true)]
    [InlineData("response.size > 5000 ? true : false", true)]
    public void Compile_RequestAttributesAndFunctions_Evaluate(string expression, bool logged) =>
        Assert.Equal(logged, Eval(expression, Record()));

    [Fact]
    public void Compile_Headers_IndexSelectAndHas()
    {
        Assert.True(Eval("request.headers['end-user'] == 'jason'", Record(user: "jason")));
        Assert.True(Eval("has(request.headers.foo) || request.headers['End-User'] == 'jason'", Record(user: "jason")));
        Assert.True(Eval("'end-user' in request.headers", Record(user: "jason")));
        Assert.False(Eval("has(request.headers.foo)", Record(user: "jason")));
    }

    [Fact]
    public void Compile_AbsentHeader_IsAnErrorSoNotLogged_UnlessOrShortCircuits()
    {
        Assert.False(Eval("request.headers['end-user'] == 'jason'", Record()));
        Assert.False(Eval("request.headers['end-user'] != 'jason'", Record()));
        // CEL's || and && absorb an error when the other side decides.
        Assert.True(Eval("request.headers['end-user'] == 'jason' || response.code == 200", Record()));
        Assert.False(Eval("request.headers['end-user'] == 'jason' && response.code == 500", Record()));
    }

    [Fact]
    public void Compile_NonBoolResult_IsNotLogged() => Assert.False(Eval("response.code", Record()));

    [Theory]
    [InlineData("response.code >=", "unexpected end of expression")]
    [InlineData("response.cod == 200", "unknown attribute response.cod")]
    [InlineData("connection.mtls", "unknown attribute connection.mtls")]
    [InlineData("request.path.matches('(')", "invalid regex")]
    [InlineData("frobnicate(1)", "unsupported function frobnicate()")]
    [InlineData("request.path == 'x", "unterminated string")]
    [InlineData("response.code # 2", "unexpected character '#'")]
    public void Compile_BadExpression_ThrowsLocatedConfigError(string expression, string message)
    {
        var error = Assert.Throws<ProxyConfigException>(() => CelFilter.Compile(expression, "listener \"l\": access_log[0]"));
        Assert.StartsWith("listener \"l\": access_log[0]: CEL expression", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessLogFilter_ExtensionFilterWithCel_IsWhatAnAccessLogUses()
    {
        var filter = new AccessLogFilter
        {
            ExtensionFilter = new ExtensionFilter
            {
                Name = "envoy.access_loggers.extension_filters.cel",
                TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new ExpressionFilter { Expression = "response.code >= 500" }),
            },
        };
        var path = Path.Combine(Path.GetTempPath(), $"cel-{Guid.NewGuid():N}.log");
        try
        {
            var plan = AccessLogPlan.Compile(new AccessLog
            {
                Name = "envoy.access_loggers.file",
                Filter = filter,
                TypedConfig = Google.Protobuf.WellKnownTypes.Any.Pack(new Envoy.Extensions.AccessLoggers.File.V3.FileAccessLog
                {
                    Path = path,
                    LogFormat = new Envoy.Config.Core.V3.SubstitutionFormatString { TextFormatSource = new Envoy.Config.Core.V3.DataSource { InlineString = "%RESPONSE_CODE%\n" } },
                }),
            }, "l");
            plan.Log(Record(200));
            plan.Log(Record(503));
            plan.Log(Record(201));
            plan.Log(Record(500));
            plan.Log(Record(599));

            // Lines are written in order by the log's writer: once the last one is there, all are.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            string[] lines = [];
            while (!timeout.IsCancellationRequested && !(lines.Length > 0 && lines[^1] == "599"))
            {
                await Task.Delay(20);
                lines = File.Exists(path) ? await File.ReadAllLinesAsync(path) : [];
            }

            Assert.Equal(["503", "500", "599"], lines);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
