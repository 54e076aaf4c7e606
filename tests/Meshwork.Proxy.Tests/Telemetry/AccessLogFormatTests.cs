using System.Net;
using Meshwork.Proxy.Telemetry;

namespace Meshwork.Proxy.Tests.Telemetry;

public sealed class AccessLogFormatTests
{
    /// <summary>Istio's default text format, as meshd sends it (pilot/pkg/model/telemetry_logging.go EnvoyTextLogFormat).</summary>
    private const string IstioText =
        "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% "
        + "%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% "
        + "%BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" "
        + "\"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% "
        + "%DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%\n";

    private static readonly Dictionary<string, string> RequestHeaders = new()
    {
        [":method"] = "GET",
        [":path"] = "/productpage?u=normal",
        [":authority"] = "productpage:9080",
        ["user-agent"] = "curl/8.0",
        ["x-request-id"] = "9f1c0e6a-1111-2222-3333-444455556666",
    };

    private static AccessLogRecord Record() => new()
    {
        StartTime = new DateTimeOffset(2026, 11, 26, 3, 4, 5, 678, TimeSpan.Zero),
        RequestHeader = name => RequestHeaders.GetValueOrDefault(name),
        ResponseHeader = name => name == "x-envoy-upstream-service-time" ? "3" : null,
        Protocol = "HTTP/1.1",
        ResponseCode = 200,
        ResponseFlags = "-",
        ResponseCodeDetails = "via_upstream",
        BytesReceived = 0,
        BytesSent = 5183,
        Duration = TimeSpan.FromMilliseconds(4.7),
        UpstreamHost = "127.0.0.21:9080",
        UpstreamCluster = "outbound|9080||productpage.default.svc.cluster.local",
        UpstreamLocalAddress = IPEndPoint.Parse("127.0.0.20:40102"),
        DownstreamLocalAddress = IPEndPoint.Parse("127.0.0.20:15001"),
        DownstreamRemoteAddress = IPEndPoint.Parse("127.0.0.20:51644"),
        RouteName = "default",
    };

    [Fact]
    public void IstioText_FormatsEveryFieldOrADash()
    {
        var line = AccessLogFormat.Compile(IstioText, "l").Format(Record());

        Assert.Equal(
            "[2026-11-26T03:04:05.678Z] \"GET /productpage?u=normal HTTP/1.1\" 200 - via_upstream - \"-\" 0 5183 4 3 \"-\" \"curl/8.0\" "
            + "\"9f1c0e6a-1111-2222-3333-444455556666\" \"productpage:9080\" \"127.0.0.21:9080\" outbound|9080||productpage.default.svc.cluster.local "
            + "127.0.0.20:40102 127.0.0.20:15001 127.0.0.20:51644 - default\n",
            line);
    }

    [Fact]
    public void Req_FallbackAndTruncation()
    {
        var format = AccessLogFormat.Compile("%REQ(X-ENVOY-ORIGINAL-PATH?:PATH):5% 100%% %RESP(missing)%", "l");

        Assert.Equal("/prod 100% -", format.Format(Record()));
    }

    [Fact]
    public void Value_NumericOperatorAlone_IsANumberAndMissingIsNull()
    {
        var code = AccessLogFormat.Compile("%RESPONSE_CODE%", "l");
        var sni = AccessLogFormat.Compile("%REQUESTED_SERVER_NAME%", "l");

        Assert.True(code.IsNumber);
        Assert.Equal("200", code.Value(Record()));
        Assert.Null(sni.Value(Record()));
    }

    [Theory]
    [InlineData("%NOPE%", "l: unknown command operator %NOPE%")]
    [InlineData("[%START_TIME", "l: unterminated command operator at position 1 in \"[%START_TIME\"")]
    public void Compile_BadFormat_NamesTheProblem(string format, string expected)
    {
        Assert.Equal(expected, Assert.Throws<ProxyConfigException>(() => AccessLogFormat.Compile(format, "l")).Message);
    }
}
