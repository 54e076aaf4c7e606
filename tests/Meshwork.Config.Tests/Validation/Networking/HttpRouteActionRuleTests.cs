using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpRouteActionRuleTests
{
    [Fact]
    public void Check_RouteAndRedirect_Rejected()
    {
        Assert.Equal(
            [Error(9, "spec.http[0].redirect: HTTP route cannot contain both route and redirect")],
            Errors("""
                hosts: [foo.bar]
                http:
                - route: [{destination: {host: foo.baz}}]
                  redirect: {uri: /lerp, authority: foo.biz}
                """));
    }

    [Fact]
    public void Check_RedirectWithFaultRewriteAndDirectResponse_Rejected()
    {
        Assert.Equal(
            [
                Error(9, "spec.http[0].fault: HTTP route cannot contain both fault and redirect"),
                Error(10, "spec.http[0].rewrite: HTTP route rule cannot contain both rewrite and redirect"),
                Error(11, "spec.http[0].directResponse: HTTP route rule cannot contain both direct_response and redirect"),
            ],
            Errors("""
                hosts: [foo.bar]
                http:
                - redirect: {uri: /lerp}
                  fault: {abort: {httpStatus: 500}}
                  rewrite: {uri: /x}
                  directResponse: {status: 200}
                """));
    }

    [Fact]
    public void Check_DirectResponseWithRouteFaultAndRewrite_Rejected()
    {
        Assert.Equal(
            [
                Error(8, "spec.http[0].directResponse: HTTP route cannot contain both route and direct_response"),
                Error(10, "spec.http[0].fault: HTTP route cannot contain both fault and direct_response"),
                Error(11, "spec.http[0].rewrite: HTTP route rule cannot contain both rewrite and direct_response"),
            ],
            Errors("""
                hosts: [foo.bar]
                http:
                - directResponse: {status: 503}
                  route: [{destination: {host: foo.baz}}]
                  fault: {abort: {httpStatus: 500}}
                  rewrite: {uri: /x}
                """));
    }

    [Fact]
    public void Check_NoRouteRedirectOrDirectResponse_Rejected()
    {
        Assert.Equal(
            [Error(8, "spec.http[0]: HTTP route, redirect or direct_response is required")],
            Errors("hosts: [foo.bar]\nhttp:\n- name: empty"));
    }

    [Fact]
    public void Check_MirrorAndMirrors_Rejected()
    {
        Assert.Equal(
            [Error(10, "spec.http[0].mirrors: HTTP route cannot contain both mirror and mirrors")],
            Errors("""
                hosts: [foo.bar]
                http:
                - route: [{destination: {host: foo.baz}}]
                  mirror: {host: shadow}
                  mirrors: [{destination: {host: shadow2}}]
                """));
    }

    [Fact]
    public void Check_RootRouteWithDelegateOnly_Accepted()
    {
        Valid("""
            hosts: [foo.bar]
            gateways: [test-gateway]
            http:
            - delegate: {name: test, namespace: test}
            """);
    }

    [Fact]
    public void Check_RootRouteWithRedirectAndRoute_Rejected()
    {
        Assert.Equal(
            [
                Error(10, "spec.http[0].route: root HTTP route \"products\" must not specify route: its delegate does the routing"),
                Error(11, "spec.http[0].redirect: root HTTP route \"products\" must not specify redirect: its delegate does the routing"),
            ],
            Errors("""
                hosts: [foo.bar]
                http:
                - name: products
                  delegate: {name: test, namespace: test}
                  route: [{destination: {host: foo.baz}}]
                  redirect: {uri: /lerp}
                """));
    }

    [Fact]
    public void Check_RootRouteWithEmptyRouteList_Rejected()
    {
        // Istio tests the list for nil, so an explicit empty list counts as specified.
        Assert.Equal(
            [Error(9, "spec.http[0].route: root HTTP route must not specify route: its delegate does the routing")],
            Errors("hosts: [foo.bar]\nhttp:\n- delegate: {name: test}\n  route: []"));
    }

    [Fact]
    public void Check_DelegateRouteThatDelegates_Rejected()
    {
        Assert.Equal(
            [
                Error(7, "spec.http[0].delegate: delegate HTTP route cannot contain delegate (only one level of delegation is supported)"),
                Error(7, "spec.http[0]: HTTP route, redirect or direct_response is required"),
            ],
            Errors("http:\n- delegate: {name: test, namespace: test}"));
    }
}
