using Meshwork.Config.Tests.Support;
using static Meshwork.Config.Tests.Validation.Networking.DestinationRuleYaml;

namespace Meshwork.Config.Tests.Validation.Networking;

public class TrafficPolicyConnectionPoolRuleTests
{
    [Fact]
    public void Check_FullPool_Accepted() => Validate.Valid(Header + """
          host: reviews
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: 7, connectTimeout: 2ms, maxConnectionDuration: 1h, idleTimeout: 0s, tcpKeepalive: {time: 7200s, interval: 75s}}
              http: {http2MaxRequests: 11, maxRequestsPerConnection: 5, maxRetries: 4, idleTimeout: 30s, maxConcurrentStreams: 5}
        """);

    [Fact]
    public void Check_EmptyPool_Rejected() =>
        Assert.Equal([At(8, "spec.trafficPolicy.connectionPool: connection pool must have at least one field: set tcp or http")], Validate.Errors(Header + """
              host: reviews
              trafficPolicy:
                connectionPool: {}
            """));

    [Fact]
    public void Check_NegativeLimits_Rejected() =>
        Assert.Equal(
            [
                At(10, "spec.trafficPolicy.connectionPool.tcp.maxConnections: max connections must be non-negative, got -1"),
                At(12, "spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests: http1 max pending requests must be non-negative, got -2"),
                At(13, "spec.trafficPolicy.connectionPool.http.http2MaxRequests: http2 max requests must be non-negative, got -3"),
                At(14, "spec.trafficPolicy.connectionPool.http.maxRequestsPerConnection: max requests per connection must be non-negative, got -4"),
                At(15, "spec.trafficPolicy.connectionPool.http.maxRetries: max retries must be non-negative, got -5"),
                At(16, "spec.trafficPolicy.connectionPool.http.maxConcurrentStreams: max concurrent streams must be non-negative, got -6"),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  trafficPolicy:
                    connectionPool:
                      tcp:
                        maxConnections: -1
                      http:
                        http1MaxPendingRequests: -2
                        http2MaxRequests: -3
                        maxRequestsPerConnection: -4
                        maxRetries: -5
                        maxConcurrentStreams: -6
                """));

    [Fact]
    public void Check_BadDurations_Rejected() =>
        Assert.Equal(
            [
                At(10, "spec.trafficPolicy.connectionPool.tcp.connectTimeout: duration must be greater than 1ms, got 0s"),
                At(11, "spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration: only durations to ms precision are supported, got 1.0005s"),
                At(12, "spec.trafficPolicy.connectionPool.tcp.idleTimeout: only durations to ms precision are supported, got 2.0001s"),
                At(14, "spec.trafficPolicy.connectionPool.tcp.tcpKeepalive.time: duration must be greater than 1ms, got 500µs"),
                At(17, "spec.trafficPolicy.connectionPool.http.idleTimeout: duration must be greater than 1ms, got 0s"),
                At(19, "spec.trafficPolicy.connectionPool.http.http2KeepAlive.interval: duration must be greater than 1ms, got 0s"),
            ],
            Validate.Errors(Header + """
                  host: reviews
                  trafficPolicy:
                    connectionPool:
                      tcp:
                        connectTimeout: 0s
                        maxConnectionDuration: 1.0005s
                        idleTimeout: 2.0001s
                        tcpKeepalive:
                          time: 0.0005s
                      http:
                        http1MaxPendingRequests: 1
                        idleTimeout: 0s
                        http2KeepAlive:
                          interval: 0s
                          timeout: 5s
                """));

    [Fact]
    public void Check_UpgradeWithClientProtocol_Rejected() =>
        Assert.Equal([At(11, "spec.trafficPolicy.connectionPool.http.useClientProtocol: use client protocol must not be true when H2UpgradePolicy is UPGRADE")], Validate.Errors(Header + """
              host: reviews
              trafficPolicy:
                connectionPool:
                  http:
                    h2UpgradePolicy: UPGRADE
                    useClientProtocol: true
            """));

    [Fact]
    public void Check_PortLevelPool_Checked() =>
        Assert.Equal([At(12, "spec.trafficPolicy.portLevelSettings[0].connectionPool.tcp.maxConnections: max connections must be non-negative, got -1")], Validate.Errors(Header + """
              host: reviews
              trafficPolicy:
                portLevelSettings:
                - port: {number: 80}
                  connectionPool:
                    tcp:
                      maxConnections: -1
            """));
}
