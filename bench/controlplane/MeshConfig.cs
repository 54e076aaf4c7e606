using System.Globalization;
using System.Text;

namespace Meshwork.Bench.ControlPlane;

/// <summary>
/// The mesh the benchmark loads, shaped like Bookinfo at scale: S in-mesh services (ServiceEntry,
/// MESH_INTERNAL, STATIC, one HTTP port, selecting app=svc-i), a DestinationRule with subsets v1,
/// v2, v3 for each, and for every second service a VirtualService like Bookinfo's reviews: a
/// header-matched test route to v2 and a weighted v1/v3 split. One file per service (plus one per
/// VirtualService, so an edit rewrites only that one).
/// </summary>
public static class MeshConfig
{
    public const string Namespace = "bench";
    public const uint Port = 9080;

    public static string Host(int service) => $"svc-{service}.{Namespace}.svc.cluster.local";

    /// <summary>The outbound cluster Envoy/meshd name for a service's subset ("" = the whole service).</summary>
    public static string Cluster(int service, string subset) => $"outbound|{Port}|{subset}|{Host(service)}";

    public static bool HasVirtualService(int service) => service % 2 == 0;

    public static void Write(string dir, int services)
    {
        Directory.CreateDirectory(dir);
        for (var i = 0; i < services; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"svc-{i}.yaml"), Service(i));
            if (HasVirtualService(i))
            {
                File.WriteAllText(Path.Combine(dir, $"vs-svc-{i}.yaml"), VirtualService(i, 90));
            }
        }
    }

    public static string Service(int i) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: svc-{{i}}
          namespace: {{Namespace}}
        spec:
          hosts:
          - {{Host(i)}}
          location: MESH_INTERNAL
          ports:
          - number: {{Port}}
            name: http
            protocol: HTTP
          resolution: STATIC
          workloadSelector:
            labels:
              app: svc-{{i}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: svc-{{i}}
          namespace: {{Namespace}}
        spec:
          host: svc-{{i}}
          trafficPolicy:
            connectionPool:
              http:
                http1MaxPendingRequests: 100
            outlierDetection:
              consecutive5xxErrors: 5
              interval: 10s
              baseEjectionTime: 30s
          subsets:
          - name: v1
            labels:
              version: v1
          - name: v2
            labels:
              version: v2
          - name: v3
            labels:
              version: v3

        """);

    /// <summary>Bookinfo's reviews routing: testers to v2, everyone else split v1/v3 by weight.</summary>
    public static string VirtualService(int i, int v1Weight) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: svc-{{i}}
          namespace: {{Namespace}}
        spec:
          hosts:
          - svc-{{i}}
          http:
          - name: testers
            match:
            - headers:
                end-user:
                  exact: jason
            route:
            - destination:
                host: svc-{{i}}
                subset: v2
          - name: split
            route:
            - destination:
                host: svc-{{i}}
                subset: v1
              weight: {{v1Weight}}
            - destination:
                host: svc-{{i}}
                subset: v3
              weight: {{100 - v1Weight}}
            timeout: 10s
            retries:
              attempts: 2
              perTryTimeout: 2s

        """);

    public static string WorkloadEntry(string name, string address, int service) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: {{name}}
          namespace: {{Namespace}}
        spec:
          address: {{address}}
          labels:
            app: svc-{{service}}
            version: v1
          serviceAccount: svc-{{service}}
          ports:
            http: {{Port}}

        """);

    /// <summary>
    /// Bytes of a RouteConfiguration that routes <paramref name="weight"/> to the v1 subset:
    /// ClusterWeight{name=1: the cluster, weight=2: UInt32Value{value=1: weight}}, fields in order.
    /// </summary>
    public static byte[] WeightPattern(int service, int weight)
    {
        if (weight is < 1 or > 127)
        {
            throw new ArgumentOutOfRangeException(nameof(weight));
        }

        return [.. Encoding.UTF8.GetBytes(Cluster(service, "v1")), 0x12, 0x02, 0x08, (byte)weight];
    }

    /// <summary>Bytes of a ClusterLoadAssignment holding <paramref name="address"/>: SocketAddress.address = field 2, length-prefixed.</summary>
    public static byte[] AddressPattern(string address) => [0x12, (byte)address.Length, .. Encoding.ASCII.GetBytes(address)];
}
