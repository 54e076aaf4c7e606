using System.Net;
using System.Text;
using Envoy.Config.Core.V3;
using Envoy.Config.Listener.V3;
using Envoy.Config.Route.V3;
using Envoy.Extensions.Filters.Http.ExtAuthz.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Envoy.Type.Matcher.V3;
using Google.Protobuf.WellKnownTypes;
using Meshwork.Proxy.Authorization;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Listeners;
using Meshwork.Proxy.Stats;
using Meshwork.Proxy.Tests.Http;
using Meshwork.Proxy.Tests.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using HttpRbac = Envoy.Extensions.Filters.Http.Rbac.V3.RBAC;
using Rbac = Envoy.Config.Rbac.V3;
using HttpService = Envoy.Extensions.Filters.Http.ExtAuthz.V3.HttpService;

namespace Meshwork.Proxy.Tests.Authorization;

/// <summary>
/// The ext_authz filter through the real data path, shaped as Pilot builds a CUSTOM policy on
/// <c>/headers</c>: a shadow RBAC filter then ext_authz gated on its metadata, in front of an app
/// that echoes what it got, with an HTTP authorization server behaving as Istio's ext-authz sample.
/// </summary>
public sealed class ExtAuthzFilterTests : IAsyncLifetime
{
    private const string Cluster = "outbound|8000||ext-authz.foo.svc.cluster.local";
    private const string DeniedBody = "denied by ext_authz for not found header `x-ext-authz: allow` in the request";

    private ListenerServer? _app;
    private ListenerServer? _authz;
    private int _checks;
    private volatile string _lastCheck = string.Empty;

    /// <summary>When set, the authorization server answers this status instead of deciding.</summary>
    private volatile int _forcedStatus;

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        _app = await ListenerServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), (c, next) => next(c), new ProxyHttpApplication(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
            var text = Encoding.UTF8.GetBytes($"app|{context.Request.Path}|{context.Request.Headers["x-ext-authz-check-result"]}|{body}");
            context.Response.ContentLength = text.Length;
            await context.Response.Body.WriteAsync(text);
        }), services, NullLoggerFactory.Instance, CancellationToken.None);
        _authz = await ListenerServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), (c, next) => next(c), new ProxyHttpApplication(CheckAsync), services, NullLoggerFactory.Instance, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (var server in new[] { _app, _authz })
        {
            if (server != null)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>Istio's samples/extauthz HTTP server: allow on <c>x-ext-authz: allow</c>, else 403 with its body and header.</summary>
    private async Task CheckAsync(HttpContext context)
    {
        Interlocked.Increment(ref _checks);
        var request = context.Request;
        var body = await new StreamReader(request.Body).ReadToEndAsync();
        var headers = string.Join(",", request.Headers.Keys.Select(k => k.ToLowerInvariant()).Order(StringComparer.Ordinal));
        _lastCheck = $"{request.Method} {request.Path}{request.QueryString} host={request.Host} headers={headers} x-a={request.Headers["x-a"]} partial={request.Headers["x-envoy-auth-partial-body"]} body={body}";
        if (_forcedStatus != 0)
        {
            context.Response.StatusCode = _forcedStatus;
            return;
        }

        var allowed = request.Headers["x-ext-authz"] == "allow";
        context.Response.Headers["x-ext-authz-check-result"] = allowed ? "allowed" : "denied";
        context.Response.Headers["x-other"] = "secret";
        if (!allowed)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(DeniedBody);
        }
    }

    [Fact]
    public async Task Check_AllowHeader_ReachesAppWithTheProviderHeader()
    {
        await using var proxy = await StartProxyAsync(Config(), out var port);

        var (status, _, body) = await SendAsync(port, "/headers?x=1", ("x-ext-authz", "allow"), ("x-unlisted", "1"));

        Assert.Equal(200, status);
        Assert.Equal("app|/headers|allowed|", body);
        Assert.Equal("GET /check/headers?x=1 host=web.default headers=content-length,host,x-a,x-ext-authz x-a=added partial= body=", _lastCheck);
        Assert.Equal(1, proxy.Counter("http", "inbound", "ext_authz.ok"));
    }

    [Fact]
    public async Task Check_NoAllowHeader_ClientGetsTheProvidersDenial()
    {
        await using var proxy = await StartProxyAsync(Config(), out var port);

        var (status, headers, body) = await SendAsync(port, "/headers");

        Assert.Equal(403, status);
        Assert.Equal(DeniedBody, body);
        Assert.Equal("denied", headers.GetValues("x-ext-authz-check-result").Single());
        Assert.False(headers.Contains("x-other"));
        Assert.Equal(1, proxy.Counter("http", "inbound", "ext_authz.denied"));
        Assert.Equal(1, await CounterAsync(proxy, "response_flags.UAEX", 1));
    }

    [Fact]
    public async Task Check_PathOutsideTheRules_NeverCallsTheProvider()
    {
        await using var proxy = await StartProxyAsync(Config(), out var port);
        var before = Volatile.Read(ref _checks);

        var (status, _, body) = await SendAsync(port, "/ip");

        Assert.Equal(200, status);
        Assert.Equal("app|/ip||", body);
        Assert.Equal(before, Volatile.Read(ref _checks));
        Assert.Equal(1, proxy.Counter("http", "inbound", "ext_authz.disabled"));
    }

    [Theory]
    [InlineData(false, 0, 403)]
    [InlineData(false, 503, 503)]
    [InlineData(true, 0, 200)]
    public async Task Check_ProviderDown_StatusOnErrorUnlessFailureModeAllow(bool failOpen, int statusOnError, int expected)
    {
        var config = Config();
        config.FailureModeAllow = failOpen;
        if (statusOnError > 0)
        {
            config.StatusOnError = new Envoy.Type.V3.HttpStatus { Code = (Envoy.Type.V3.StatusCode)statusOnError };
        }

        await using var proxy = await StartProxyAsync(config, out var port, authzPort: LoopbackPorts.FreePort());

        var (status, _, _) = await SendAsync(port, "/headers", ("x-ext-authz", "allow"));

        Assert.Equal(expected, status);
        Assert.Equal(1, proxy.Counter("http", "inbound", "ext_authz.error"));
    }

    [Fact]
    public async Task Check_Provider5xx_IsAnErrorNotADenial()
    {
        await using var proxy = await StartProxyAsync(Config(), out var port);
        _forcedStatus = 500;

        var (status, _, body) = await SendAsync(port, "/headers", ("x-ext-authz", "allow"));

        Assert.Equal(403, status);
        Assert.Empty(body);
        Assert.Equal(1, proxy.Counter("http", "inbound", "ext_authz.error"));
    }

    [Fact]
    public async Task Check_WithRequestBody_ProviderGetsTheStartAppGetsAll()
    {
        var config = Config();
        config.WithRequestBody = new BufferSettings { MaxRequestBytes = 4, AllowPartialMessage = true };
        await using var proxy = await StartProxyAsync(config, out var port);

        var (status, _, body) = await SendAsync(port, "/headers", ("x-ext-authz", "allow"), body: "0123456789");

        Assert.Equal(200, status);
        Assert.Equal("app|/headers|allowed|0123456789", body);
        Assert.EndsWith("partial=true body=0123", _lastCheck, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_BodyOverLimitWithoutPartial_Answers413()
    {
        var config = Config();
        config.WithRequestBody = new BufferSettings { MaxRequestBytes = 4 };
        await using var proxy = await StartProxyAsync(config, out var port);

        var (status, _, _) = await SendAsync(port, "/headers", ("x-ext-authz", "allow"), body: "0123456789");

        Assert.Equal(413, status);
    }

    [Fact]
    public void Compile_NoCluster_NamesTheField()
    {
        var config = Config();
        config.HttpService.ServerUri.Cluster = string.Empty;

        var error = Assert.Throws<ProxyConfigException>(() => ExtAuthzFilter.Compile(config, "f", new StatsStore(), "p"));

        Assert.Equal("f.http_service.server_uri.cluster: required", error.Message);
    }

    [Fact]
    public void Compile_GateOnOtherFilterMetadata_IsRefused()
    {
        var config = Config();
        config.FilterEnabledMetadata.Filter = "envoy.filters.http.jwt_authn";

        var error = Assert.Throws<ProxyConfigException>(() => ExtAuthzFilter.Compile(config, "f", new StatsStore(), "p"));

        Assert.StartsWith("f.filter_enabled_metadata.filter: only \"envoy.filters.http.rbac\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chain_ShadowRbacThenExtAuthz_ShareOneMetadataSlot()
    {
        var chain = AuthorizationChain.Compile(Manager(Config()), "l1", new StatsStore(), "inbound");

        Assert.Equal(2, chain.Steps.Length);
        Assert.Equal(0, chain.Steps[0].PolicySlot);
        Assert.Equal(-1, chain.Steps[0].ResultSlot);
        Assert.Equal(0, chain.Steps[1].GateSlot);
    }

    [Fact]
    public void Grpc_DeniedResponseWithoutStatus_Is403WithItsBodyAndHeaders()
    {
        var denied = new Envoy.Service.Auth.V3.CheckResponse
        {
            Status = new Google.Rpc.Status { Code = 7 },
            DeniedResponse = new Envoy.Service.Auth.V3.DeniedHttpResponse { Body = "no", Headers = { new HeaderValueOption { Header = new HeaderValue { Key = "x-r", Value = "d" } } } },
        };
        var ok = new Envoy.Service.Auth.V3.CheckResponse
        {
            Status = new Google.Rpc.Status(),
            OkResponse = new Envoy.Service.Auth.V3.OkHttpResponse
            {
                Headers = { new HeaderValueOption { Header = new HeaderValue { Key = "x-set", Value = "1" } }, new HeaderValueOption { Header = new HeaderValue { Key = "x-add", Value = "2" }, Append = true } },
                HeadersToRemove = { "authorization" },
            },
        };

        var no = ExtAuthzGrpcCheck.Interpret(denied);
        var yes = ExtAuthzGrpcCheck.Interpret(ok);

        Assert.Equal((ExtAuthzVerdict.Denied, 403, "no"), (no.Verdict, no.Status, Encoding.UTF8.GetString(no.Body)));
        Assert.Equal([("x-r", "d")], no.Client);
        Assert.Equal(ExtAuthzVerdict.Ok, yes.Verdict);
        Assert.Equal([("x-set", "1")], yes.UpstreamSet);
        Assert.Equal([("x-add", "2")], yes.UpstreamAppend);
        Assert.Equal(["authorization"], yes.UpstreamRemove);
    }

    [Fact]
    public void Grpc_CheckRequest_CarriesTheRequestAsEnvoyDescribesIt()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Host = new HostString("web.default");
        context.Request.Path = "/headers";
        context.Request.QueryString = new QueryString("?a=1");
        context.Request.Protocol = "HTTP/1.1";
        context.Request.Headers["X-Ext-Authz"] = "allow";
        context.Request.Headers["x-request-id"] = "r1";
        context.Request.ContentLength = 3;
        context.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:127.0.0.9");
        context.Connection.RemotePort = 5000;
        var grpc = new ExtAuthz { GrpcService = new GrpcService { EnvoyGrpc = new GrpcService.Types.EnvoyGrpc { ClusterName = "c" } } };
        var filter = ExtAuthzFilter.Compile(grpc, "f", new StatsStore(), "p");
        var manager = new HttpManager(new HttpConnectionManager { StatPrefix = "p", RouteConfig = new RouteConfiguration() }, null, null, "l", inbound: true, new StatsStore());

        var check = ExtAuthzGrpcCheck.BuildRequest(context, filter, new HttpConnectionState(manager, false, null), new CheckBody("abc"u8.ToArray(), false), TimeProvider.System);

        var http = check.Attributes.Request.Http;
        Assert.Equal(("r1", "POST", "/headers?a=1", "web.default", "http", "HTTP/1.1", 3L, "abc"), (http.Id, http.Method, http.Path, http.Host, http.Scheme, http.Protocol, http.Size, http.Body));
        Assert.Equal("allow", http.Headers["x-ext-authz"]);
        Assert.Equal(("web.default", "POST", "/headers?a=1"), (http.Headers[":authority"], http.Headers[":method"], http.Headers[":path"]));
        Assert.False(http.Headers.ContainsKey("host"));
        Assert.Equal(("127.0.0.9", 5000u), (check.Attributes.Source.Address.SocketAddress.Address, check.Attributes.Source.Address.SocketAddress.PortValue));
        Assert.Empty(check.Attributes.Source.Principal);
        Assert.Equal("f: filter_enabled and deny_at_disable (runtime switches) are not supported; use filter_enabled_metadata", Assert.Throws<ProxyConfigException>(() => ExtAuthzFilter.Compile(new ExtAuthz(grpc) { FilterEnabled = new RuntimeFractionalPercent() }, "f", new StatsStore(), "p")).Message);
    }

    /// <summary>The ext_authz config Pilot writes for Istio's sample provider, with a path prefix and an added header.</summary>
    private static ExtAuthz Config() => new()
    {
        HttpService = new HttpService
        {
            ServerUri = new HttpUri { Uri = "http://ext-authz.foo.svc.cluster.local", Cluster = Cluster, Timeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(10)) },
            PathPrefix = "/check",
            AuthorizationRequest = new AuthorizationRequest
            {
                AllowedHeaders = new ListStringMatcher { Patterns = { new StringMatcher { Exact = "x-ext-authz", IgnoreCase = true } } },
                HeadersToAdd = { new HeaderValue { Key = "x-a", Value = "added" } },
            },
            AuthorizationResponse = new AuthorizationResponse
            {
                AllowedUpstreamHeaders = new ListStringMatcher { Patterns = { new StringMatcher { Exact = "x-ext-authz-check-result", IgnoreCase = true } } },
                AllowedClientHeaders = new ListStringMatcher { Patterns = { new StringMatcher { Exact = "content-type", IgnoreCase = true }, new StringMatcher { Exact = "x-ext-authz-check-result", IgnoreCase = true } } },
            },
        },
        TransportApiVersion = ApiVersion.V3,
        FilterEnabledMetadata = new MetadataMatcher
        {
            Filter = RbacFilter.HttpName,
            Path = { new MetadataMatcher.Types.PathSegment { Key = "istio_ext_authz_shadow_effective_policy_id" } },
            Value = new ValueMatcher { StringMatch = new StringMatcher { Prefix = "istio-ext-authz" } },
        },
    };

    private static HttpConnectionManager Manager(ExtAuthz config)
    {
        var shadow = new Rbac.RBAC { Action = Rbac.RBAC.Types.Action.Deny };
        shadow.Policies.Add("istio-ext-authz-ns[default]-policy[ext]-rule[0]", new Rbac.Policy
        {
            Permissions = { new Rbac.Permission { UrlPath = new PathMatcher { Path = new StringMatcher { Exact = "/headers" } } } },
            Principals = { new Rbac.Principal { Any = true } },
        });
        return new HttpConnectionManager
        {
            StatPrefix = "inbound",
            RouteConfig = InProcessProxy.CatchAllRoutes("app"),
            HttpFilters =
            {
                new HttpFilter { Name = RbacFilter.HttpName, TypedConfig = Any.Pack(new HttpRbac { ShadowRules = shadow, ShadowRulesStatPrefix = "istio_ext_authz_" }) },
                new HttpFilter { Name = ExtAuthzFilter.Name, TypedConfig = Any.Pack(config) },
                new HttpFilter { Name = "envoy.filters.http.router", TypedConfig = Any.Pack(new Envoy.Extensions.Filters.Http.Router.V3.Router()) },
            },
        };
    }

    private Task<InProcessProxy> StartProxyAsync(ExtAuthz config, out int port, int? authzPort = null)
    {
        port = LoopbackPorts.FreePort();
        var listener = new Listener
        {
            Name = $"127.0.0.1_{port}",
            Address = new Address { SocketAddress = new Envoy.Config.Core.V3.SocketAddress { Address = "127.0.0.1", PortValue = (uint)port } },
            TrafficDirection = TrafficDirection.Inbound,
            FilterChains = { new FilterChain { Filters = { new Filter { Name = "envoy.filters.network.http_connection_manager", TypedConfig = Any.Pack(Manager(config)) } } } },
        };
        return InProcessProxy.StartAsync(
            [UpstreamTestClusters.Static("app", ("127.0.0.1", _app!.BoundPort)), UpstreamTestClusters.Static(Cluster, ("127.0.0.1", authzPort ?? _authz!.BoundPort))],
            [listener]);
    }

    /// <summary>
    /// The counter once it reaches <paramref name="atLeast"/>, or its value after 10 s: response flags
    /// are counted when the stream completes, which may be just after the client read the answer.
    /// </summary>
    private static async Task<long> CounterAsync(InProcessProxy proxy, string stat, long atLeast)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (proxy.Counter("http", "inbound", stat) < atLeast && !limit.IsCancellationRequested)
        {
            await Task.Delay(10);
        }

        return proxy.Counter("http", "inbound", stat);
    }

    private static async Task<(int Status, System.Net.Http.Headers.HttpResponseHeaders Headers, string Body)> SendAsync(int port, string path, (string Name, string Value)? header = null, (string Name, string Value)? extra = null, string? body = null)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(body == null ? HttpMethod.Get : HttpMethod.Post, $"http://127.0.0.1:{port}{path}");
        request.Headers.Host = "web.default";
        foreach (var h in new[] { header, extra })
        {
            if (h is { } set)
            {
                request.Headers.Add(set.Name, set.Value);
            }
        }

        if (body != null)
        {
            request.Content = new StringContent(body);
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, response.Headers, await response.Content.ReadAsStringAsync());
    }
}
