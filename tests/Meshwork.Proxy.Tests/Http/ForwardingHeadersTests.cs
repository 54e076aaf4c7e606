using System.Net;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Meshwork.Proxy.Http;
using Meshwork.Proxy.Stats;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Tests.Http;

/// <summary>Envoy's x-request-id: generated when absent, kept through the mesh, replaced on an edge request from an external peer.</summary>
public sealed class ForwardingHeadersTests
{
    private const string Incoming = "5a1b9e7c-0000-4000-8000-000000000001";

    private static HttpManager Manager(bool useRemoteAddress, bool preserve = false) =>
        new(new HttpConnectionManager { StatPrefix = "t", UseRemoteAddress = useRemoteAddress, PreserveExternalRequestId = preserve }, null, null, "l1", inbound: false, new StatsStore());

    private static string? RequestId(HttpManager manager, string peer, string? incoming)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        if (incoming != null)
        {
            context.Request.Headers["x-request-id"] = incoming;
        }

        ForwardingHeaders.Apply(context, manager, tls: false);
        return context.Request.Headers["x-request-id"];
    }

    [Fact]
    public void Apply_NoRequestId_GeneratesAUuidV4()
    {
        var id = RequestId(Manager(useRemoteAddress: false), "10.0.0.1", null);

        Assert.True(Guid.TryParse(id, out var guid));
        Assert.Equal(4, guid.Version);
    }

    [Fact]
    public void Apply_SidecarWithAnIncomingId_KeepsIt()
    {
        Assert.Equal(Incoming, RequestId(Manager(useRemoteAddress: false), "203.0.113.7", Incoming));
    }

    [Fact]
    public void Apply_EdgeRequestFromAnExternalPeer_ReplacesTheIdUnlessPreserved()
    {
        Assert.NotEqual(Incoming, RequestId(Manager(useRemoteAddress: true), "203.0.113.7", Incoming));
        Assert.Equal(Incoming, RequestId(Manager(useRemoteAddress: true, preserve: true), "203.0.113.7", Incoming));
        Assert.Equal(Incoming, RequestId(Manager(useRemoteAddress: true), "192.168.1.20", Incoming));
        Assert.Equal(Incoming, RequestId(Manager(useRemoteAddress: true), "127.0.0.1", Incoming));
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("172.16.0.1", true)]
    [InlineData("172.32.0.1", false)]
    [InlineData("192.168.0.1", true)]
    [InlineData("::1", true)]
    [InlineData("fd00::1", true)]
    [InlineData("2001:db8::1", false)]
    [InlineData("8.8.8.8", false)]
    public void IsInternal_EnvoysDefaultInternalRanges(string address, bool expected)
    {
        Assert.Equal(expected, ForwardingHeaders.IsInternal(IPAddress.Parse(address)));
    }
}
