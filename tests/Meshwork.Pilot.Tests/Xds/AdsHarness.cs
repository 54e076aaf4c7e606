using System.Net;
using Envoy.Config.Cluster.V3;
using Envoy.Config.Core.V3;
using Envoy.Config.Endpoint.V3;
using Envoy.Service.Discovery.V3;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Meshwork.Pilot.Generators;
using Meshwork.Pilot.Model;
using Meshwork.Pilot.Push;
using Meshwork.Pilot.Xds;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.Pilot.Tests.Xds;

/// <summary>
/// A real ADS server (Kestrel, HTTP/2 cleartext, a free loopback port) with generators whose output
/// the test controls, and a real gRPC client. The protocol logic is what is under test.
/// </summary>
public sealed class AdsHarness : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly List<string> _logs;

    private AdsHarness(WebApplication app, DiscoveryServer server, FakeGenerator clusters, FakeGenerator endpoints, int port, List<string> logs)
    {
        _app = app;
        _logs = logs;
        Server = server;
        Clusters = clusters;
        Endpoints = endpoints;
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        Client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(Channel);
    }

    public DiscoveryServer Server { get; }

    public FakeGenerator Clusters { get; }

    public FakeGenerator Endpoints { get; }

    public GrpcChannel Channel { get; }

    public AggregatedDiscoveryService.AggregatedDiscoveryServiceClient Client { get; }

    public static async Task<AdsHarness> StartAsync()
    {
        var port = LoopbackPorts.FreePort();
        var clusters = new FakeGenerator(TypeUrls.Cluster, endpointsOnly: false);
        var endpoints = new FakeGenerator(TypeUrls.Endpoint, endpointsOnly: true);
        var logs = new List<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ListLoggerProvider(logs));
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(sp => new DiscoveryServer([clusters, endpoints], sp.GetRequiredService<ILogger<DiscoveryServer>>()));
        var app = builder.Build();
        app.MapGrpcService<AdsService>();
        await app.StartAsync();
        return new AdsHarness(app, app.Services.GetRequiredService<DiscoveryServer>(), clusters, endpoints, port, logs);
    }

    public IReadOnlyList<string> ServerLogs
    {
        get
        {
            lock (_logs)
            {
                return _logs.ToList();
            }
        }
    }

    public static Node Node(string id = "sidecar~10.0.0.1~reviews-v1.shop~shop.svc.cluster.local") => new() { Id = id, Locality = new Locality() };

    /// <summary>Publishes a new snapshot version and pushes it.</summary>
    public void Push(PushRequest request)
    {
        var next = Server.Snapshot with { Version = Server.Snapshot.Version + 1 };
        Server.Push(next, request);
    }

    /// <summary>Waits until the server has processed the proxy's ACK of <paramref name="nonce"/> (ACKs race pushes otherwise).</summary>
    public async Task WaitAckedAsync(string typeUrl, string nonce)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!Server.Connections.Any(c => c.Watched.TryGetValue(typeUrl, out var w) && w.NonceAcked == nonce))
        {
            Assert.True(clock.ElapsedMilliseconds < 10_000, $"the server did not record the ACK of nonce {nonce}");
            await Task.Delay(10);
        }
    }

    /// <summary>Waits until the server has recorded a NACK of <paramref name="typeUrl"/> (a NACK is processed after the reader has sent it).</summary>
    public async Task<string> WaitNackedAsync(string typeUrl)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var nack = Server.Connections.Select(c => c.Watched.TryGetValue(typeUrl, out var w) ? w.LastNack : null).FirstOrDefault(n => n != null);
            if (nack != null)
            {
                return nack;
            }

            Assert.True(clock.ElapsedMilliseconds < 10_000, $"the server did not record a NACK of {typeUrl}");
            await Task.Delay(10);
        }
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _queues = new();

    /// <summary>
    /// The next response on the stream. Responses are pumped by one background reader per stream,
    /// because cancelling a gRPC read would cancel the whole call.
    /// </summary>
    public async Task<T> NextAsync<T>(IAsyncStreamReader<T> reader, int timeoutMs = 10_000)
    {
        var queue = Queue(reader);
        using var cts = new CancellationTokenSource(timeoutMs);
        try
        {
            return await queue.Reader.ReadAsync(cts.Token);
        }
        catch (System.Threading.Channels.ChannelClosedException e) when (e.InnerException is RpcException rpc)
        {
            throw rpc;
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no response within {timeoutMs} ms");
            throw;
        }
    }

    /// <summary>Asserts that no response arrives within a short window (the server must stay silent, e.g. after an ACK).</summary>
    public async Task AssertSilentAsync<T>(IAsyncStreamReader<T> reader, int windowMs = 300)
    {
        var queue = Queue(reader);
        using var cts = new CancellationTokenSource(windowMs);
        try
        {
            var unexpected = await queue.Reader.ReadAsync(cts.Token);
            Assert.Fail($"unexpected response: {unexpected}");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private System.Threading.Channels.Channel<T> Queue<T>(IAsyncStreamReader<T> reader) =>
        (System.Threading.Channels.Channel<T>)_queues.GetValue(reader, r =>
        {
            var channel = System.Threading.Channels.Channel.CreateUnbounded<T>();
            _ = Task.Run(async () =>
            {
                try
                {
                    while (await reader.MoveNext(CancellationToken.None))
                    {
                        channel.Writer.TryWrite(reader.Current);
                    }

                    channel.Writer.TryComplete();
                }
                catch (Exception e)
                {
                    channel.Writer.TryComplete(e);
                }
            });
            return channel;
        });

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Produces what the test sets: clusters or endpoint sets by name, each carrying a test-controlled value.</summary>
    public sealed class FakeGenerator(string typeUrl, bool endpointsOnly) : IResourceGenerator
    {
        private volatile IReadOnlyDictionary<string, uint> _resources = new Dictionary<string, uint>();

        public string TypeUrl { get; } = typeUrl;

        public int Calls;

        public void Set(params (string Name, uint Value)[] resources) => _resources = resources.ToDictionary(r => r.Name, r => r.Value);

        public IReadOnlyList<GeneratedResource> Generate(MeshSnapshot snapshot, ProxyNode proxy, IReadOnlySet<string>? names)
        {
            Interlocked.Increment(ref Calls);
            return _resources.Where(r => names == null || names.Contains(r.Key)).OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new GeneratedResource(r.Key, Pack(r.Key, r.Value))).ToList();
        }

        public bool Concerns(PushRequest request, ProxyNode proxy) => endpointsOnly || request.Full;

        private Any Pack(string name, uint value) => TypeUrl == TypeUrls.Cluster
            ? Any.Pack(new Cluster { Name = name, Type = Cluster.Types.DiscoveryType.Eds, ConnectTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(value)) })
            : Any.Pack(new ClusterLoadAssignment { ClusterName = name, Endpoints = { new LocalityLbEndpoints { Locality = new Locality(), LoadBalancingWeight = value } } });
    }

    private sealed class ListLoggerProvider(List<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines)
                {
                    lines.Add($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
