using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.SidecarYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class SidecarConnectionPoolRuleTests
{
    [Fact]
    public void Check_InboundPoolAlone_Accepted() => Validate.Valid(Header + """
          inboundConnectionPool:
            http:
              http1MaxPendingRequests: 1024
              idleTimeout: 5s
            tcp:
              maxConnections: 100
        """);

    [Fact]
    public void Check_BadPools_Rejected() =>
        Assert.Equal(
            [
                At(9, "spec.ingress[0].connectionPool: connection pool must have at least one field: set tcp or http"),
                At(13, "spec.inboundConnectionPool.tcp.connectTimeout: duration must be greater than 1ms, got 0s"),
            ],
            Validate.Errors(Header + """
                  ingress:
                  - port: {number: 80, protocol: HTTP}
                    defaultEndpoint: "127.0.0.1:8080"
                    connectionPool: {}
                  inboundConnectionPool:
                    tcp:
                      maxConnections: 100
                      connectTimeout: 0s
                """));

    [Fact]
    public void Check_HttpSettingsOnTcpPort_Warns()
    {
        var yaml = Header + """
              ingress:
              - port: {number: 3306, protocol: TCP, name: mysql}
                connectionPool:
                  http:
                    http1MaxPendingRequests: 10
            """;

        Assert.Empty(Validate.Errors(yaml));
        Assert.Equal([Warning(9, "spec.ingress[0].connectionPool.http: HTTP connection pool settings are configured for port 3306 (\"mysql\") but its protocol is not HTTP (TCP); only TCP settings will apply")], Validate.Warnings(yaml));
    }
}
