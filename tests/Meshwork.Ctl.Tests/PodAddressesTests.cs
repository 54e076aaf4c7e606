using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Meshwork.Ctl.Workloads;

namespace Meshwork.Ctl.Tests;

/// <summary>Local mode's chosen ports: free now, and outside the range outgoing connections draw from.</summary>
public sealed class PodAddressesTests
{
    [Fact]
    public void FreeLoopbackPort_OnLinux_IsBelowTheEphemeralRangeAndBindable()
    {
        var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var ephemeralStart = int.Parse(range[0], CultureInfo.InvariantCulture);

        for (var i = 0; i < 20; i++)
        {
            var port = PodAddresses.FreeLoopbackPort();

            Assert.InRange(port, 1024, ephemeralStart - 1);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen();
        }
    }
}
