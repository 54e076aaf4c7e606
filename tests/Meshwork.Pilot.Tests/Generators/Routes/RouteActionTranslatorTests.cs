using Envoy.Config.Route.V3;
using Meshwork.Config.Networking;
using Meshwork.Pilot.Generators.Routes;

namespace Meshwork.Pilot.Tests.Generators.Routes;

public class RouteActionTranslatorTests
{
    [Theory]
    [InlineData(443u, "https", false, 0u)]
    [InlineData(80u, "", false, 0u)]
    [InlineData(80u, "", true, 80u)]
    [InlineData(8443u, "https", false, 8443u)]
    public void ApplyRedirect_SchemesDefaultPort_IsLeftOut(uint port, string scheme, bool isTls, uint expected)
    {
        var route = new Route();

        Assert.True(RouteActionTranslator.ApplyRedirect(route, new HttpRedirect { Port = port, Scheme = scheme }, 9080, isTls));
        Assert.Equal(expected, route.Redirect.PortRedirect);
    }

    [Fact]
    public void ApplyRedirect_FromRequestPort_UsesTheListenerPort()
    {
        var route = new Route();

        RouteActionTranslator.ApplyRedirect(route, new HttpRedirect { DerivePort = RedirectPortSelection.FromRequestPort }, 9080, isTls: false);

        Assert.Equal(9080u, route.Redirect.PortRedirect);
        Assert.Equal(RedirectAction.PathRewriteSpecifierOneofCase.None, route.Redirect.PathRewriteSpecifierCase);
    }

    [Fact]
    public void ApplyRedirect_UnsupportedCode_LeavesNoAction()
    {
        var route = new Route();

        Assert.False(RouteActionTranslator.ApplyRedirect(route, new HttpRedirect { Uri = "/x", RedirectCode = 305 }, 80, isTls: false));
        Assert.Equal(Route.ActionOneofCase.None, route.ActionCase);
    }

    [Fact]
    public void ApplyTimeout_Proxyless_UsesMaxStreamDuration()
    {
        var sidecar = new RouteAction();
        var proxyless = new RouteAction();

        RouteActionTranslator.ApplyTimeout(sidecar, TimeSpan.FromSeconds(3), proxyless: false);
        RouteActionTranslator.ApplyTimeout(proxyless, null, proxyless: true);

        Assert.Equal(TimeSpan.FromSeconds(3), sidecar.Timeout.ToTimeSpan());
        Assert.Equal(TimeSpan.FromSeconds(3), sidecar.MaxStreamDuration.GrpcTimeoutHeaderMax.ToTimeSpan());
        Assert.Null(sidecar.MaxStreamDuration.MaxStreamDuration_);
        Assert.Equal(TimeSpan.Zero, proxyless.MaxStreamDuration.MaxStreamDuration_.ToTimeSpan());
    }

    [Fact]
    public void ForDestination_NoPort_SinglePortServiceElseListenerPort()
    {
        var single = new Registry.Model.MeshService
        {
            Hostname = "a.default.svc.cluster.local",
            Namespace = "default",
            Ports = new[] { new Registry.Model.MeshServicePort("http", 8080, Config.Validation.Networking.PortProtocol.Http) },
            DefinedBy = new Config.Resources.ResourceKey("ServiceEntry", "default", "a"),
        };
        var destination = new Destination { Host = "a.default.svc.cluster.local", Subset = "v1" };

        Assert.Equal("outbound|8080|v1|a.default.svc.cluster.local", ClusterNames.ForDestination(destination, single, 9080));
        Assert.Equal("outbound|9080|v1|a.default.svc.cluster.local", ClusterNames.ForDestination(destination, null, 9080));
        Assert.Equal("outbound|7070|v1|a.default.svc.cluster.local", ClusterNames.ForDestination(destination with { Port = new PortSelector { Number = 7070 } }, single, 9080));
    }
}
