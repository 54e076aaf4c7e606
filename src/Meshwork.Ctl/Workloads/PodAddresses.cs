using System.Net;

namespace Meshwork.Ctl.Workloads;

/// <summary>
/// Local mode's addresses: each workload gets a fresh loopback address from 127.0.0.0/8 as its pod
/// IP (all of 127/8 reaches the host on Linux without setup), and its app a free port on 127.0.0.1.
/// "Fresh" means nothing is bound on the sidecar's ports there; the check and the sidecar's bind
/// are not atomic, so a clash is still possible and surfaces as the sidecar failing to start.
/// </summary>
internal static class PodAddresses
{
    /// <summary>A random 127.x.y.z outside 127.0.0.0/16 (where host services such as 127.0.0.53 live) with <paramref name="ports"/> free.</summary>
    public static IPAddress NextPodIp(Random random, params int[] ports)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var ip = new IPAddress([127, (byte)random.Next(32, 224), (byte)random.Next(0, 256), (byte)random.Next(2, 255)]);
            if (ports.All(port => LoopbackPorts.CanBind(ip, port)))
            {
                return ip;
            }
        }

        throw new InvalidOperationException("no free loopback address found in 100 tries (are 127.x.y.z addresses usable here?)");
    }
}
