using System.Net;
using System.Net.Sockets;

namespace Meshwork;

/// <summary>
/// Ports free on a loopback address now, for a process that binds them a moment later (a
/// sidecar's admin API, an app started after its sidecar, a test's meshd). They are drawn below
/// the kernel's ephemeral range: bind(0) and every outgoing connection take their local ports
/// from that range, so on a busy host a client socket could take a port from it before the
/// process binds, and the process would die with EADDRINUSE. Below the range a port is only ever
/// chosen on purpose. A port is handed out once per process, so two callers never race for it.
/// </summary>
/// <remarks>A source file linked into meshctl and the test projects that start real processes.</remarks>
internal static class LoopbackPorts
{
    /// <summary>Above the ports services and the mesh itself are configured on (9080, 15000-15090, ...).</summary>
    private const int FirstChosenPort = 20000;

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A port free on <paramref name="address"/> (127.0.0.1 when not given).</summary>
    public static int FreePort(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var below = EphemeralRangeStart();
        if (below - FirstChosenPort >= 1000)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(FirstChosenPort, below);
                if (Claim(port) && CanBind(address, port))
                {
                    return port;
                }
            }
        }

        // No room below the range (or all tries taken): the kernel's choice, as bind(0) gives it.
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            if (Claim(port))
            {
                return port;
            }
        }
    }

    /// <summary><paramref name="count"/> distinct free ports on 127.0.0.1.</summary>
    public static int[] FreePorts(int count) => Enumerable.Range(0, count).Select(_ => FreePort()).ToArray();

    public static bool CanBind(IPAddress address, int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static bool Claim(int port)
    {
        lock (HandedOut)
        {
            return HandedOut.Add(port);
        }
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
