using Meshwork.Pilot.Generators.Routes;
using Meshwork.Pilot.Model;

namespace Meshwork.Pilot.Tests.Generators.Routes;

public class HostnamesTests
{
    [Theory]
    [InlineData("reviews", "bookinfo", "reviews.bookinfo.svc.cluster.local")]
    [InlineData("reviews.other", "bookinfo", "reviews.other")]
    [InlineData("*", "bookinfo", "*")]
    [InlineData("10.0.0.1", "bookinfo", "10.0.0.1")]
    [InlineData("*.example.com", "bookinfo", "*.example.com")]
    public void ResolveShortName_IstioRules(string host, string ns, string expected)
    {
        Assert.Equal(expected, Hostnames.ResolveShortName(host, ns));
    }

    [Theory]
    [InlineData("a.example.com", "a.example.com", true)]
    [InlineData("*.example.com", "a.example.com", true)]
    [InlineData("a.example.com", "*.example.com", true)]
    [InlineData("*.example.com", "*.a.example.com", true)]
    [InlineData("*", "anything.org", true)]
    [InlineData("*.example.com", "example.com", false)]
    [InlineData("a.example.com", "b.example.com", false)]
    public void Matches_IsSymmetricWildcardOverlap(string a, string b, bool expected)
    {
        Assert.Equal(expected, Hostnames.Matches(a, b));
        Assert.Equal(expected, Hostnames.Matches(b, a));
    }

    [Theory]
    [InlineData("a.example.com", "*.example.com", true)]
    [InlineData("*.example.com", "a.example.com", false)]
    [InlineData("*.a.example.com", "*.example.com", true)]
    [InlineData("*.example.com", "*", true)]
    [InlineData("*", "*.example.com", false)]
    public void SubsetOf_IsDirectional(string a, string b, bool expected)
    {
        Assert.Equal(expected, Hostnames.SubsetOf(a, b));
    }

    [Fact]
    public void Intersection_GatewayAndVirtualServiceHosts_KeepsTheNarrowerOfEachPair()
    {
        var hosts = Hostnames.Intersection(["*.example.com", "shop.org"], ["a.example.com", "*", "other.net"]);

        Assert.Equal(["a.example.com", "*.example.com", "shop.org"], hosts);
    }

    [Theory]
    [InlineData("reviews.default.svc.cluster.local", "default.svc.cluster.local", "reviews,reviews.default.svc,reviews.default")]
    [InlineData("cart.shop.svc.cluster.local", "default.svc.cluster.local", "cart.shop,cart.shop.svc")]
    [InlineData("www.googleapis.com", "default.svc.cluster.local", "")]
    [InlineData("reviews.default.svc.other.local", "default.svc.cluster.local", "")]
    public void ShortNames_KubernetesStyleExpansion(string hostname, string proxyDomain, string expected)
    {
        Assert.Equal(expected, string.Join(",", VirtualHostDomains.ShortNames(hostname, proxyDomain)));
    }

    [Fact]
    public void Claim_DomainTakenEarlier_IsDroppedCaseInsensitively()
    {
        var claims = new DomainClaims();

        Assert.Equal(["a.example.com", "a.example.com:80"], claims.Claim(["a.example.com", "a.example.com:80"], []));
        Assert.Equal(["a.example.com:8080"], claims.Claim(["A.example.com", "a.example.com:8080"], []));
    }

    [Fact]
    public void Claim_ShortNameThatIsAnotherServicesFqdn_IsDropped()
    {
        var claims = new DomainClaims();
        claims.AddKnownFqdn("foo.com");

        Assert.Equal(["foo.com.svc.cluster.local"], claims.Claim(["foo.com.svc.cluster.local", "foo.com"], ["foo.com"]));
    }
}
