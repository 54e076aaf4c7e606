using System.Net;
using System.Net.Sockets;

namespace Meshwork.Ctl.Workloads;

/// <summary>
/// Local mode's addresses: each workload gets a fresh loopback address from 127.0.0.0/8 as its pod
/// IP (all of 127/8 reaches the host on Linux without setup), and its app a free port on 127.0.0.1.
/// "Fresh" means nothing is bound on the sidecar's ports there; the check and the sidecar's bind
/// are not atomic, so a clash is still possible and surfaces as the sidecar failing to start.
/// </summary>
internal static class PodAddresses
{
    /// <summary>Above the ports services and the mesh itself are configured on (9080, 15000-15090, ...).</summary>
    private const int FirstChosenPort = 20000;

    /// <summary>A random 127.x.y.z outside 127.0.0.0/16 (where host services such as 127.0.0.53 live) with <paramref name="ports"/> free.</summary>
    public static IPAddress NextPodIp(Random random, params int[] ports)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var ip = new IPAddress([127, (byte)random.Next(32, 224), (byte)random.Next(0, 256), (byte)random.Next(2, 255)]);
            if (ports.All(port => CanBind(ip, port)))
            {
                return ip;
            }
        }

        throw new InvalidOperationException("no free loopback address found in 100 tries (are 127.x.y.z addresses usable here?)");
    }

    public static bool CanBind(IPAddress ip, int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(ip, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// A port free on 127.0.0.1 now, for a process that binds it seconds later (an app after its
    /// sidecar is ready, a sidecar's admin API). It is drawn below the kernel's ephemeral range:
    /// bind(0) and every outgoing connection take their local ports from that range, so on a busy
    /// host a client socket could take a port from it before the process binds, and the process
    /// would die with EADDRINUSE. Below the range a port is only ever chosen on purpose.
    /// </summary>
    public static int FreeLoopbackPort()
    {
        var below = EphemeralRangeStart();
        if (below - FirstChosenPort >= 1000)
        {
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var port = Random.Shared.Next(FirstChosenPort, below);
                if (CanBind(IPAddress.Loopback, port))
                {
                    return port;
                }
            }
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The first port of the kernel's ephemeral range (Linux's ip_local_port_range; IANA's 49152 elsewhere).</summary>
    private static int EphemeralRangeStart()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49152;
        }
    }
}
