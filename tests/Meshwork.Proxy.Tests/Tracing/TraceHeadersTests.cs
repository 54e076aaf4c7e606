using Meshwork.Proxy.Tracing;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Tracing;

/// <summary>W3C trace context, B3 multi-header and B3 single: reading, writing, and malformed input ignored.</summary>
public sealed class TraceHeadersTests
{
    private static HeaderDictionary Headers(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary[name] = value;
        }

        return dictionary;
    }

    [Fact]
    public void Extract_W3CTraceParent_TraceSpanSampledAndState()
    {
        var headers = Headers(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), ("tracestate", "congo=t61rcWkgMzE"));

        var (parent, sampled) = TraceHeaders.Extract(headers, TraceFormat.W3C);

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", parent!.Value.TraceIdHex);
        Assert.Equal("00f067aa0ba902b7", parent.Value.SpanIdHex);
        Assert.Equal("congo=t61rcWkgMzE", parent.Value.TraceState);
        Assert.True(sampled);
    }

    [Fact]
    public void Extract_B3MultiHeader_IdsParentAndDecision()
    {
        var headers = Headers(("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"), ("x-b3-parentspanid", "05e3ac9a4f6e3b90"), ("x-b3-sampled", "0"));

        var (parent, sampled) = TraceHeaders.Extract(headers, TraceFormat.B3);

        Assert.Equal("80f198ee56343ba864fe8b2a57d3eff7", parent!.Value.TraceIdHex);
        Assert.Equal("e457b5a2e4d86bd1", parent.Value.SpanIdHex);
        Assert.False(sampled);
    }

    [Fact]
    public void Extract_B3Single_64BitTraceIdAndDebugFlag()
    {
        var headers = Headers(("b3", "a3ce929d0e0e4736-00f067aa0ba902b7-d-05e3ac9a4f6e3b90"));

        var (parent, sampled) = TraceHeaders.Extract(headers, TraceFormat.B3);

        Assert.Equal("a3ce929d0e0e4736", parent!.Value.TraceIdHex);
        Assert.False(parent.Value.Is128Bit);
        Assert.Equal("00f067aa0ba902b7", parent.Value.SpanIdHex);
        Assert.True(sampled);
    }

    [Fact]
    public void Extract_DecisionWithoutContext_OnlyTheDecision()
    {
        var (parent, sampled) = TraceHeaders.Extract(Headers(("b3", "0")), TraceFormat.B3);
        var (multiParent, multiSampled) = TraceHeaders.Extract(Headers(("x-b3-sampled", "1")), TraceFormat.W3C);

        Assert.Null(parent);
        Assert.False(sampled);
        Assert.Null(multiParent);
        Assert.True(multiSampled);
    }

    [Fact]
    public void Extract_TracerFormatFirst_TheOtherAsFallback()
    {
        var headers = Headers(
            ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            ("x-b3-traceid", "80f198ee56343ba864fe8b2a57d3eff7"), ("x-b3-spanid", "e457b5a2e4d86bd1"));

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", TraceHeaders.Extract(headers, TraceFormat.W3C).Parent!.Value.TraceIdHex);
        Assert.Equal("80f198ee56343ba864fe8b2a57d3eff7", TraceHeaders.Extract(headers, TraceFormat.B3).Parent!.Value.TraceIdHex);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", TraceHeaders.Extract(Headers(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")), TraceFormat.B3).Parent!.Value.TraceIdHex);
    }

    [Theory]
    [InlineData("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    [InlineData("traceparent", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")]
    [InlineData("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01")]
    [InlineData("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01")]
    [InlineData("b3", "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-x")]
    [InlineData("b3", "80f198ee56343ba8-e457b5a2e4d86b")]
    [InlineData("b3", "not-a-context")]
    [InlineData("x-b3-traceid", "80f198ee56343ba8")]
    public void Extract_MalformedHeader_Ignored(string name, string value)
    {
        var (parent, _) = TraceHeaders.Extract(Headers((name, value)), TraceFormat.B3);

        Assert.Null(parent);
    }

    [Fact]
    public void Extract_B3WithBadSpanId_Ignored()
    {
        var headers = Headers(("x-b3-traceid", "80f198ee56343ba8"), ("x-b3-spanid", "zzz"));

        Assert.Null(TraceHeaders.Extract(headers, TraceFormat.B3).Parent);
    }

    [Fact]
    public void Inject_B3Tracer_MultiHeaderAndRewritesPresentFormats()
    {
        var headers = Headers(("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), ("b3", "1"));
        var span = new TraceContext(0x4bf92f3577b34da6, 0xa3ce929d0e0e4736, 0x1111111111111111, 0x00f067aa0ba902b7, true, null);

        TraceHeaders.Inject(headers, span, sampled: true, TraceFormat.B3);

        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", headers["x-b3-traceid"]);
        Assert.Equal("1111111111111111", headers["x-b3-spanid"]);
        Assert.Equal("00f067aa0ba902b7", headers["x-b3-parentspanid"]);
        Assert.Equal("1", headers["x-b3-sampled"]);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-1-00f067aa0ba902b7", headers["b3"]);
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-1111111111111111-01", headers["traceparent"]);
    }

    [Fact]
    public void Inject_W3CTracerUnsampled64BitTrace_PaddedTraceParentOnly()
    {
        var headers = new HeaderDictionary();
        var span = new TraceContext(0, 0xa3ce929d0e0e4736, 0x2222222222222222, 0, false, "k=v");

        TraceHeaders.Inject(headers, span, sampled: false, TraceFormat.W3C);

        Assert.Equal("00-0000000000000000a3ce929d0e0e4736-2222222222222222-00", headers["traceparent"]);
        Assert.Equal("k=v", headers["tracestate"]);
        Assert.False(headers.ContainsKey("x-b3-traceid"));
    }

    [Fact]
    public void RoundTrip_InjectedContext_ExtractsAsTheParent()
    {
        var headers = new HeaderDictionary();
        var span = new TraceContext(7, 8, 9, 10, true, null);

        TraceHeaders.Inject(headers, span, sampled: true, TraceFormat.B3);
        var (parent, sampled) = TraceHeaders.Extract(headers, TraceFormat.B3);

        Assert.Equal((7UL, 8UL, 9UL), (parent!.Value.TraceIdHigh, parent.Value.TraceIdLow, parent.Value.SpanId));
        Assert.True(sampled);
    }
}
