using Meshwork.Config.Loading;
using Meshwork.Config.Networking;
using Meshwork.Config.Tests.Support;
using Meshwork.Config.Values;

namespace Meshwork.Config.Tests.Networking;

public class VirtualServiceBindingTests
{
    private const string FullHttp = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: full
          namespace: shop
        spec:
          hosts: [shop.example.com]
          gateways: [istio-system/public, mesh]
          exportTo: [".", "istio-system"]
          http:
          - name: main
            match:
            - name: api
              uri: {prefix: /api}
              scheme: {exact: https}
              method: {regex: "GET|POST"}
              authority: {prefix: shop}
              headers:
                x-user: {exact: jason}
                x-any: {}
              withoutHeaders:
                x-debug: {exact: "1"}
              queryParams:
                v: {regex: "\\d+"}
              port: 8080
              sourceLabels: {app: web}
              gateways: [istio-system/public]
              ignoreUriCase: true
              sourceNamespace: front
              statPrefix: api
            route:
            - destination:
                host: shop
                subset: v1
                port: {number: 9080}
              weight: 90
              headers:
                request:
                  set: {x-route: v1}
                  add: {x-trace: "on"}
                  remove: [x-internal]
                response:
                  remove: [server]
            - destination: {host: shop, subset: v2}
              weight: 10
            rewrite:
              authority: shop.internal
              uriRegexRewrite: {match: "^/api/(.*)$", rewrite: "/\\1"}
            timeout: 1.5s
            retries:
              attempts: 3
              perTryTimeout: 500ms
              retryOn: 5xx,connect-failure,503
              retryRemoteLocalities: true
              retryIgnorePreviousHosts: false
              backoff: 25ms
            fault:
              delay:
                fixedDelay: 5s
                percentage: {value: 0.5}
              abort:
                grpcStatus: UNAVAILABLE
                percentage: {value: 1}
            mirrors:
            - destination: {host: shadow}
              percentage: {value: 10}
            corsPolicy:
              allowOrigins: [{exact: "https://example.com"}, {regex: ".*\\.example\\.org"}]
              allowMethods: [GET, POST]
              allowHeaders: [x-user]
              exposeHeaders: [x-trace]
              maxAge: 24h
              allowCredentials: false
              unmatchedPreflights: IGNORE
            headers:
              response:
                set: {x-served-by: meshwork}
        """;

    [Fact]
    public void Bind_EveryHttpField_RoundTripsIntoRecords()
    {
        var vs = Spec(FullHttp);

        Assert.Equal(["shop.example.com"], vs.Hosts);
        Assert.Equal(["istio-system/public", "mesh"], vs.Gateways);
        Assert.Equal([".", "istio-system"], vs.ExportTo);
        var route = Assert.Single(vs.Http);
        Assert.Equal("main", route.Name);

        var match = Assert.Single(route.Match);
        Assert.Equal(
            new HttpMatchRequest
            {
                Name = "api",
                Uri = new StringMatch { Prefix = "/api" },
                Scheme = new StringMatch { Exact = "https" },
                Method = new StringMatch { Regex = "GET|POST" },
                Authority = new StringMatch { Prefix = "shop" },
                Headers = Map(("x-user", new StringMatch { Exact = "jason" }), ("x-any", new StringMatch())),
                WithoutHeaders = Map(("x-debug", new StringMatch { Exact = "1" })),
                QueryParams = Map(("v", new StringMatch { Regex = "\\d+" })),
                Port = 8080,
                SourceLabels = new ValueMap<string, string>([new("app", "web")]),
                Gateways = ValueList.Of("istio-system/public"),
                IgnoreUriCase = true,
                SourceNamespace = "front",
                StatPrefix = "api",
            },
            match);

        Assert.Equal(
            new HttpRouteDestination
            {
                Destination = new Destination { Host = "shop", Subset = "v1", Port = new PortSelector { Number = 9080 } },
                Weight = 90,
                Headers = new Headers
                {
                    Request = new HeaderOperations
                    {
                        Set = new ValueMap<string, string>([new("x-route", "v1")]),
                        Add = new ValueMap<string, string>([new("x-trace", "on")]),
                        Remove = ValueList.Of("x-internal"),
                    },
                    Response = new HeaderOperations { Remove = ValueList.Of("server") },
                },
            },
            route.Route[0]);
        Assert.Equal(10, route.Route[1].Weight);
        Assert.Equal(new HttpRewrite { Authority = "shop.internal", UriRegexRewrite = new RegexRewrite { Match = "^/api/(.*)$", Rewrite = "/\\1" } }, route.Rewrite);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), route.Timeout);
        Assert.Equal(
            new HttpRetry
            {
                Attempts = 3,
                PerTryTimeout = TimeSpan.FromMilliseconds(500),
                RetryOn = "5xx,connect-failure,503",
                RetryRemoteLocalities = true,
                RetryIgnorePreviousHosts = false,
                Backoff = TimeSpan.FromMilliseconds(25),
            },
            route.Retries);
        Assert.Equal(
            new HttpFaultInjection
            {
                Delay = new FaultDelay { FixedDelay = TimeSpan.FromSeconds(5), Percentage = new Percent { Value = 0.5 } },
                Abort = new FaultAbort { GrpcStatus = "UNAVAILABLE", Percentage = new Percent { Value = 1 } },
            },
            route.Fault);
        Assert.Equal(new HttpMirrorPolicy { Destination = new Destination { Host = "shadow" }, Percentage = new Percent { Value = 10 } }, Assert.Single(route.Mirrors));
        Assert.Equal(
            new CorsPolicy
            {
                AllowOrigins = ValueList.Of(new StringMatch { Exact = "https://example.com" }, new StringMatch { Regex = ".*\\.example\\.org" }),
                AllowMethods = ValueList.Of("GET", "POST"),
                AllowHeaders = ValueList.Of("x-user"),
                ExposeHeaders = ValueList.Of("x-trace"),
                MaxAge = TimeSpan.FromHours(24),
                AllowCredentials = false,
                UnmatchedPreflights = UnmatchedPreflights.Ignore,
            },
            route.CorsPolicy);
        Assert.Equal(new ValueMap<string, string>([new("x-served-by", "meshwork")]), route.Headers?.Response?.Set);
    }

    [Fact]
    public void Bind_RedirectDirectResponseDelegateAndDeprecatedFields_RoundTrip()
    {
        var vs = Spec("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: other}
            spec:
              hosts: [a.example.com]
              http:
              - redirect:
                  uri: /new
                  authority: b.example.com
                  derivePort: FROM_REQUEST_PORT
                  scheme: https
                  redirectCode: 308
              - redirect: {prefixRewrite: /v2, port: 8443}
              - directResponse:
                  status: 503
                  body: {string: "down for maintenance"}
              - directResponse:
                  status: 200
                  body: {bytes: aGVsbG8=}
              - delegate: {name: reviews, namespace: nsb}
              - route: [{destination: {host: a.example.com}}]
                mirror: {host: shadow, subset: v1}
                mirror_percent: 50
                mirrorPercentage: {value: 25.5}
                corsPolicy: {allowOrigin: ["*"], unmatchedPreflights: FORWARD}
                fault:
                  delay: {percent: 10, exponentialDelay: 1s}
                  abort: {http2Error: PROTOCOL_ERROR}
              - route: [{destination: {host: a.example.com}}]
                fault:
                  abort: {httpStatus: 418}
                rewrite: {uri: /v1}
                headers: {response: {add: {x-cache: miss}}}
            """);

        Assert.Equal(
            new HttpRedirect { Uri = "/new", Authority = "b.example.com", DerivePort = RedirectPortSelection.FromRequestPort, Scheme = "https", RedirectCode = 308 },
            vs.Http[0].Redirect);
        Assert.Equal(new HttpRedirect { PrefixRewrite = "/v2", Port = 8443 }, vs.Http[1].Redirect);
        Assert.Equal(new HttpDirectResponse { Status = 503, Body = new HttpBody { String = "down for maintenance" } }, vs.Http[2].DirectResponse);
        Assert.Equal("hello"u8.ToArray(), vs.Http[3].DirectResponse?.Body?.Bytes);
        Assert.Equal(new RouteDelegate { Name = "reviews", Namespace = "nsb" }, vs.Http[4].Delegate);
        var route = vs.Http[5];
        Assert.Equal(new Destination { Host = "shadow", Subset = "v1" }, route.Mirror);
        Assert.Equal(50u, route.MirrorPercent);
        Assert.Equal(25.5, route.MirrorPercentage?.Value);
        Assert.Equal(new CorsPolicy { AllowOrigin = ValueList.Of("*"), UnmatchedPreflights = UnmatchedPreflights.Forward }, route.CorsPolicy);
        Assert.Equal(new FaultDelay { Percent = 10, ExponentialDelay = TimeSpan.FromSeconds(1) }, route.Fault?.Delay);
        Assert.Equal(new FaultAbort { Http2Error = "PROTOCOL_ERROR" }, route.Fault?.Abort);
        Assert.Equal(418, vs.Http[6].Fault?.Abort?.HttpStatus);
        Assert.Equal(new HttpRewrite { Uri = "/v1" }, vs.Http[6].Rewrite);
        Assert.Equal(new ValueMap<string, string>([new("x-cache", "miss")]), vs.Http[6].Headers?.Response?.Add);
    }

    [Fact]
    public void Bind_TcpAndTlsRoutes_RoundTrip()
    {
        var vs = Spec("""
            apiVersion: networking.istio.io/v1alpha3
            kind: VirtualService
            metadata: {name: l4, namespace: db}
            spec:
              hosts: ["*.db.example.com"]
              gateways: [edge]
              tls:
              - match:
                - sniHosts: [pg.db.example.com]
                  destinationSubnets: [10.0.0.0/8]
                  port: 443
                  sourceLabels: {app: client}
                  gateways: [edge]
                  sourceNamespace: apps
                route:
                - destination: {host: pg.db.svc.cluster.local, port: {number: 5432}}
                  weight: 100
              tcp:
              - match:
                - destinationSubnets: [192.168.0.1]
                  port: 27017
                  sourceSubnet: 10.1.0.0/16
                  sourceLabels: {app: batch}
                  gateways: [mesh]
                  sourceNamespace: jobs
                route:
                - destination: {host: mongo.backup.svc.cluster.local, port: {number: 5555}}
            """);

        Assert.Equal(
            new TlsRoute
            {
                Match = ValueList.Of(new TlsMatchAttributes
                {
                    SniHosts = ValueList.Of("pg.db.example.com"),
                    DestinationSubnets = ValueList.Of("10.0.0.0/8"),
                    Port = 443,
                    SourceLabels = new ValueMap<string, string>([new("app", "client")]),
                    Gateways = ValueList.Of("edge"),
                    SourceNamespace = "apps",
                }),
                Route = ValueList.Of(new RouteDestination { Destination = new Destination { Host = "pg.db.svc.cluster.local", Port = new PortSelector { Number = 5432 } }, Weight = 100 }),
            },
            Assert.Single(vs.Tls));
        Assert.Equal(
            new TcpRoute
            {
                Match = ValueList.Of(new L4MatchAttributes
                {
                    DestinationSubnets = ValueList.Of("192.168.0.1"),
                    Port = 27017,
                    SourceSubnet = "10.1.0.0/16",
                    SourceLabels = new ValueMap<string, string>([new("app", "batch")]),
                    Gateways = ValueList.Of("mesh"),
                    SourceNamespace = "jobs",
                }),
                Route = ValueList.Of(new RouteDestination { Destination = new Destination { Host = "mongo.backup.svc.cluster.local", Port = new PortSelector { Number = 5555 } } }),
            },
            Assert.Single(vs.Tcp));
    }

    [Fact]
    public void Bind_SnakeCaseProtoNames_AreAccepted()
    {
        var vs = Spec("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: snake}
            spec:
              hosts: [a]
              export_to: ["*"]
              http:
              - match: [{ignore_uri_case: true, query_params: {q: {exact: x}}, without_headers: {h: {}}}]
                route: [{destination: {host: a}}]
                cors_policy: {allow_origins: [{prefix: "https://"}], max_age: 10s, unmatched_preflights: IGNORE}
                retries: {attempts: 1, per_try_timeout: 1s, retry_on: reset}
            """);

        Assert.Equal(["*"], vs.ExportTo);
        Assert.True(vs.Http[0].Match[0].IgnoreUriCase);
        Assert.Equal(TimeSpan.FromSeconds(10), vs.Http[0].CorsPolicy?.MaxAge);
        Assert.Equal("reset", vs.Http[0].Retries?.RetryOn);
    }

    [Fact]
    public void Bind_RedirectPortAndDerivePortTogether_IsAOneofError()
    {
        var errors = Validate.Errors("""
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: r}
            spec:
              hosts: [a]
              http:
              - redirect:
                  port: 80
                  derivePort: FROM_REQUEST_PORT
            """);

        Assert.Equal(["test.yaml:9: VirtualService default/r: spec.http[0].redirect.derivePort: only one of port, derivePort may be set, got port and derivePort"], errors);
    }

    /// <summary>Reads and binds only: the rules have their own tests, and some documents here set fields Istio rejects.</summary>
    private static VirtualService Spec(string yaml)
    {
        var outcome = ConfigReader.ReadText(yaml, Validate.File);
        Assert.Empty(outcome.Diagnostics);
        return Assert.Single(outcome.Resources).SpecAs<VirtualService>();
    }

    private static ValueMap<string, StringMatch?> Map(params (string Key, StringMatch Value)[] entries) =>
        new(entries.Select(e => KeyValuePair.Create(e.Key, (StringMatch?)e.Value)));
}
