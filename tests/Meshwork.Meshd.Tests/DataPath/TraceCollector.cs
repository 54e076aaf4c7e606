using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;

namespace Meshwork.Meshd.Tests.DataPath;

/// <summary>One span as a collector received it, whatever the wire format.</summary>
public sealed record CollectedSpan(string Format, string TraceId, string Id, string? ParentId, string Name, string Kind, string Service, IReadOnlyDictionary<string, string> Tags);

/// <summary>
/// A trace collector on loopback that keeps every span: Zipkin v2 JSON (<c>POST /api/v2/spans</c>)
/// and OTLP/HTTP protobuf (<c>POST /v1/traces</c>) on <see cref="HttpPort"/>, OTLP/gRPC
/// (TraceService/Export) on the HTTP/2-only <see cref="GrpcPort"/>.
/// </summary>
public sealed class TraceCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<CollectedSpan> _spans = new();

    private TraceCollector(WebApplication app) => _app = app;

    public int HttpPort { get; private set; }

    public int GrpcPort { get; private set; }

    public IReadOnlyList<CollectedSpan> Spans => _spans.ToArray();

    public static async Task<TraceCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1);
            k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        var collector = new TraceCollector(app);
        app.MapPost("/api/v2/spans", collector.ZipkinAsync);
        app.MapPost("/v1/traces", collector.OtlpHttpAsync);
        app.MapPost("/opentelemetry.proto.collector.trace.v1.TraceService/Export", collector.OtlpGrpcAsync);
        await app.StartAsync();
        var ports = app.Urls.Select(u => new Uri(u).Port).ToArray();
        collector.HttpPort = ports[0];
        collector.GrpcPort = ports[1];
        return collector;
    }

    public IReadOnlyList<CollectedSpan> Trace(string traceId) => Spans.Where(s => s.TraceId == traceId).ToList();

    private async Task ZipkinAsync(HttpContext context)
    {
        using var document = await JsonDocument.ParseAsync(context.Request.Body);
        foreach (var span in document.RootElement.EnumerateArray())
        {
            _spans.Enqueue(new CollectedSpan(
                "zipkin",
                span.GetProperty("traceId").GetString()!,
                span.GetProperty("id").GetString()!,
                span.TryGetProperty("parentId", out var parent) ? parent.GetString() : null,
                span.GetProperty("name").GetString()!,
                span.GetProperty("kind").GetString()!,
                span.GetProperty("localEndpoint").GetProperty("serviceName").GetString()!,
                span.GetProperty("tags").EnumerateObject().ToDictionary(t => t.Name, t => t.Value.GetString()!)));
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private async Task OtlpHttpAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        Keep("otlp-http", ExportTraceServiceRequest.Parser.ParseFrom(body.ToArray()));
        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(Google.Protobuf.MessageExtensions.ToByteArray(new ExportTraceServiceResponse()));
    }

    private async Task OtlpGrpcAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var frame = body.ToArray();
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4));
        Keep("otlp-grpc", ExportTraceServiceRequest.Parser.ParseFrom(frame, 5, length));
        context.Response.ContentType = "application/grpc";
        context.Response.AppendTrailer("grpc-status", "0");
        await context.Response.Body.WriteAsync(new byte[5]);
    }

    private void Keep(string format, ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value.StringValue ?? string.Empty;
            foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
            {
                _spans.Enqueue(new CollectedSpan(
                    format,
                    Convert.ToHexStringLower(span.TraceId.ToByteArray()),
                    Convert.ToHexStringLower(span.SpanId.ToByteArray()),
                    span.ParentSpanId.IsEmpty ? null : Convert.ToHexStringLower(span.ParentSpanId.ToByteArray()),
                    span.Name,
                    span.Kind == OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server ? "SERVER" : "CLIENT",
                    service,
                    span.Attributes.ToDictionary(a => a.Key, a => a.Value.StringValue)));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>
/// A test app that, as Bookinfo's services do, copies the trace headers of the request it serves
/// onto its call to the next service (through its own sidecar, as HTTP_PROXY), and remembers the
/// trace headers it received.
/// </summary>
public sealed class TracingApp : IAsyncDisposable
{
    /// <summary>The headers Istio asks apps to propagate.</summary>
    public static readonly string[] PropagatedHeaders =
        ["x-request-id", "traceparent", "tracestate", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3"];

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string>> _received = new();

    private TracingApp(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public int Port { get; private set; }

    /// <summary>The next service's URL and this app's sidecar (its outbound port), or null for the last hop.</summary>
    public (string Url, ProxyProcess Sidecar)? Next { get; set; }

    /// <summary>The trace headers of every request this app served, in order.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> Received => _received.ToArray();

    public static async Task<TracingApp> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var tracingApp = new TracingApp(app, name);
        app.Run(tracingApp.HandleAsync);
        await app.StartAsync();
        tracingApp.Port = new Uri(app.Urls.First()).Port;
        return tracingApp;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var headers = PropagatedHeaders.Where(h => context.Request.Headers.ContainsKey(h)).ToDictionary(h => h, h => context.Request.Headers[h].ToString());
        _received.Enqueue(headers);
        var status = StatusCodes.Status200OK;
        if (Next is var (url, sidecar))
        {
            using var http = sidecar.AppClient(TimeSpan.FromSeconds(10));
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await http.SendAsync(request);
            status = (int)response.StatusCode;
        }

        context.Response.StatusCode = status;
        await context.Response.WriteAsync(Name);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
