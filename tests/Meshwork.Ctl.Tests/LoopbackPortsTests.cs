using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Meshwork.Ctl.Tests;

/// <summary>Local mode's chosen ports: free now, and outside the range outgoing connections draw from.</summary>
public sealed class LoopbackPortsTests
{
    [Fact]
    public void FreePort_OnLinux_IsBelowTheEphemeralRangeBindableAndNeverTwice()
    {
        var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ephemeralStart = int.Parse(range[0], CultureInfo.InvariantCulture);

        var seen = new HashSet<int>();
        for (var i = 0; i < 20; i++)
        {
            var port = LoopbackPorts.FreePort();

            Assert.True(seen.Add(port), $"port {port} handed out twice");
            Assert.InRange(port, 1024, ephemeralStart - 1);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen();
        }
    }
}
