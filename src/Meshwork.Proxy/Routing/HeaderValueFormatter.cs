using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// A header value with Envoy's <c>%COMMAND%</c> operators, parsed once. Istio passes a
/// VirtualService's header values through untouched, so users can write operators; those this
/// proxy can answer from the downstream connection and request are supported, and any other
/// operator is refused at config time (as Envoy refuses operators it does not know) rather than
/// sent literally. Values without operators are returned as the precomputed string.
/// </summary>
internal sealed class HeaderValueFormatter
{
    private readonly string? _literal;
    private readonly Segment[] _segments;

    private HeaderValueFormatter(string? literal, Segment[] segments)
    {
        _literal = literal;
        _segments = segments;
    }

    private enum Command
    {
        Literal,
        RemoteAddress,
        RemoteAddressWithoutPort,
        RemotePort,
        LocalAddress,
        LocalAddressWithoutPort,
        LocalPort,
        Protocol,
        Hostname,
        RequestHeader,
    }

    public static HeaderValueFormatter Compile(string value, string where)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return new HeaderValueFormatter(value, []);
        }

        var segments = new List<Segment>();
        var literal = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                literal.Append(value[i]);
                continue;
            }

            if (i + 1 < value.Length && value[i + 1] == '%')
            {
                literal.Append('%');
                i++;
                continue;
            }

            var end = value.IndexOf('%', i + 1);
            if (end < 0)
            {
                throw new ProxyConfigException($"{where}: header value \"{value}\": unterminated command at position {i} (write %% for a literal %)");
            }

            if (literal.Length > 0)
            {
                segments.Add(new Segment(Command.Literal, literal.ToString(), null, 0));
                literal.Clear();
            }

            segments.Add(ParseCommand(value[(i + 1)..end], value, where));
            i = end;
        }

        if (literal.Length > 0)
        {
            segments.Add(new Segment(Command.Literal, literal.ToString(), null, 0));
        }

        return segments.All(s => s.Command == Command.Literal)
            ? new HeaderValueFormatter(string.Concat(segments.Select(s => s.Text)), [])
            : new HeaderValueFormatter(null, [.. segments]);
    }

    public string Format(HttpContext context)
    {
        if (_literal != null)
        {
            return _literal;
        }

        var output = new StringBuilder();
        foreach (var segment in _segments)
        {
            output.Append(segment.Evaluate(context));
        }

        return output.ToString();
    }

    private static Segment ParseCommand(string command, string value, string where)
    {
        var simple = command switch
        {
            "DOWNSTREAM_REMOTE_ADDRESS" or "DOWNSTREAM_DIRECT_REMOTE_ADDRESS" => Command.RemoteAddress,
            "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT" or "DOWNSTREAM_DIRECT_REMOTE_ADDRESS_WITHOUT_PORT" => Command.RemoteAddressWithoutPort,
            "DOWNSTREAM_REMOTE_PORT" or "DOWNSTREAM_DIRECT_REMOTE_PORT" => Command.RemotePort,
            "DOWNSTREAM_LOCAL_ADDRESS" => Command.LocalAddress,
            "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT" => Command.LocalAddressWithoutPort,
            "DOWNSTREAM_LOCAL_PORT" => Command.LocalPort,
            "PROTOCOL" => Command.Protocol,
            "HOSTNAME" => Command.Hostname,
            _ => Command.Literal,
        };
        if (simple != Command.Literal)
        {
            return new Segment(simple, null, null, 0);
        }

        // %REQ(name)% or %REQ(name?alternative)%, optionally :maxLength.
        if (command.StartsWith("REQ(", StringComparison.Ordinal))
        {
            var close = command.IndexOf(')', StringComparison.Ordinal);
            var maxLength = 0;
            if (close > 4 && (close == command.Length - 1
                || (command[close + 1] == ':' && int.TryParse(command.AsSpan(close + 2), NumberStyles.None, CultureInfo.InvariantCulture, out maxLength) && maxLength > 0)))
            {
                var names = command[4..close].Split('?');
                if (names.Length <= 2 && names.All(n => n.Length > 0))
                {
                    return new Segment(Command.RequestHeader, null, names, maxLength);
                }
            }
        }

        throw new ProxyConfigException($"{where}: header value \"{value}\": command %{command}% is not supported by this proxy");
    }

    private sealed record Segment(Command Command, string? Text, string[]? HeaderNames, int MaxLength)
    {
        public string Evaluate(HttpContext context)
        {
            var connection = context.Connection;
            return Command switch
            {
                Command.Literal => Text!,
                Command.RemoteAddress => WithPort(connection.RemoteIpAddress, connection.RemotePort),
                Command.RemoteAddressWithoutPort => connection.RemoteIpAddress?.ToString() ?? string.Empty,
                Command.RemotePort => connection.RemotePort.ToString(CultureInfo.InvariantCulture),
                Command.LocalAddress => WithPort(connection.LocalIpAddress, connection.LocalPort),
                Command.LocalAddressWithoutPort => connection.LocalIpAddress?.ToString() ?? string.Empty,
                Command.LocalPort => connection.LocalPort.ToString(CultureInfo.InvariantCulture),
                Command.Protocol => context.Request.Protocol,
                Command.Hostname => Environment.MachineName,
                _ => RequestHeader(context.Request),
            };
        }

        private string RequestHeader(HttpRequest request)
        {
            foreach (var name in HeaderNames!)
            {
                if (RequestValues.Get(request, RequestValues.SourceOf(name), name) is { } value)
                {
                    return MaxLength > 0 && value.Length > MaxLength ? value[..MaxLength] : value;
                }
            }

            return string.Empty;
        }

        private static string WithPort(IPAddress? address, int port) => address == null ? string.Empty
            : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";
    }
}
