using static Meshwork.Config.Tests.Validation.Networking.VirtualServiceYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class HttpHeadersRuleTests
{
    [Fact]
    public void Check_ValidOperations_Accepted()
    {
        Valid("""
            hosts: [foo.bar]
            http:
            - route:
              - destination: {host: foo.baz}
                headers:
                  request: {add: {name: ""}, set: {name: ""}, remove: [name]}
                  response: {add: {name: ""}, set: {name: ""}, remove: [name]}
              headers:
                request:
                  set: {host: new.example.com, x-pod: "%HOSTNAME%", x-pct: "100%%", x-req: "%REQ(x-foo)%"}
                  add: {x-trace: "prefix %HOSTNAME% suffix"}
                response:
                  set: {x-env: "%ENVIRONMENT(POD_NAME)%"}
            """);
    }

    [Fact]
    public void Check_EmptyAndPseudoHeaderNames_Rejected()
    {
        Assert.Equal(
            [
                Error(11, "spec.http[0].headers.request.set[:path]: invalid header \":path\": header cannot have \":\" prefix"),
                Error(12, "spec.http[0].headers.request.add[]: header name cannot be empty"),
                Error(13, "spec.http[0].headers.request.remove[0]: invalid header \"Host\": cannot set Host header"),
                Error(15, "spec.http[0].headers.response.set[host]: invalid header \"host\": cannot set Host header"),
                Error(16, "spec.http[0].headers.response.remove[0]: invalid header \":status\": header cannot have \":\" prefix"),
            ],
            Errors("""
                hosts: [foo.bar]
                http:
                - route: [{destination: {host: foo.baz}}]
                  headers:
                    request:
                      set: {":path": /x}
                      add: {"": v}
                      remove: [Host]
                    response:
                      set: {host: x}
                      remove: [":status"]
                """));
    }

    [Fact]
    public void Check_InvalidValues_Rejected()
    {
        Assert.Equal(
            [
                Error(12, "spec.http[0].headers.request.set[a]: header value configuration: invalid header configuration. Un-terminated variable expression 'abc%123'"),
                Error(13, "spec.http[0].headers.request.set[b]: header value configuration: invalid header configuration. Un-escaped %"),
                Error(14, "spec.http[0].headers.request.set[c]: invalid header value \"bad\\u0001value\": control characters are not allowed"),
            ],
            Errors("""
                hosts: [foo.bar]
                http:
                - route: [{destination: {host: foo.baz}}]
                  headers:
                    request:
                      set:
                        a: abc%123
                        b: "%START_TIME%%"
                        c: "bad\x01value"
                """));
    }

    [Fact]
    public void Check_DestinationHeaderOperations_Rejected()
    {
        Assert.Equal(
            [Error(12, "spec.http[0].route[0].headers.response.add[:authority]: invalid header \":authority\": header cannot have \":\" prefix")],
            Errors("""
                hosts: [foo.bar]
                http:
                - route:
                  - destination: {host: foo.baz}
                    headers:
                      response:
                        add: {":authority": x}
                """));
    }

    [Fact]
    public void Check_AuthorityRewrittenTwice_Rejected()
    {
        Assert.Equal(
            [Error(12, "spec.http[0].headers.request.set[:authority]: authority header cannot be set multiple times: have \"a.example.com\", attempting to set \"b.example.com\"")],
            Errors("""
                hosts: [foo.bar]
                http:
                - route: [{destination: {host: foo.baz}}]
                  rewrite: {authority: a.example.com}
                  headers:
                    request:
                      set: {":authority": b.example.com}
                      add: {host: c.example.com}
                """));
    }
}
