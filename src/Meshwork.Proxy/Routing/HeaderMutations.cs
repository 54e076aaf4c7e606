using Envoy.Config.Core.V3;
using Google.Protobuf.Collections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using AppendAction = Envoy.Config.Core.V3.HeaderValueOption.Types.HeaderAppendAction;

namespace Meshwork.Proxy.Routing;

/// <summary>
/// One level's header edits (route configuration, virtual host, route or weighted cluster), as
/// Envoy's HeaderParser runs them: removals first, then additions in order, each with its append
/// action (the deprecated <c>append</c> flag maps onto one); an empty value is skipped unless
/// <c>keep_empty_value</c>. Pseudo-headers and <c>host</c> cannot be edited, as in Envoy.
/// </summary>
public sealed class HeaderMutations
{
    private readonly string[] _remove;
    private readonly Addition[] _add;

    private HeaderMutations(string[] remove, Addition[] add)
    {
        _remove = remove;
        _add = add;
    }

    public static HeaderMutations None { get; } = new([], []);

    public bool IsEmpty => _remove.Length == 0 && _add.Length == 0;

    internal static HeaderMutations Compile(RepeatedField<HeaderValueOption> add, RepeatedField<string> remove, string where)
    {
        if (add.Count == 0 && remove.Count == 0)
        {
            return None;
        }

        foreach (var name in remove)
        {
            RequireModifiable(name, where, "headers_to_remove");
        }

        var additions = new Addition[add.Count];
        for (var i = 0; i < add.Count; i++)
        {
            var option = add[i];
            var name = option.Header?.Key ?? string.Empty;
            RequireModifiable(name, where, "headers_to_add");
            if (option.Append != null && option.AppendAction != AppendAction.AppendIfExistsOrAdd)
            {
                throw new ProxyConfigException($"{where}: header \"{name}\": both append and append_action are set");
            }

            var action = option.Append is { } append
                ? append ? AppendAction.AppendIfExistsOrAdd : AppendAction.OverwriteIfExistsOrAdd
                : option.AppendAction;
            additions[i] = new Addition(name, HeaderValueFormatter.Compile(option.Header!.Value, $"{where}: header \"{name}\""), action, option.KeepEmptyValue);
        }

        return new HeaderMutations([.. remove], additions);
    }

    public void Apply(IHeaderDictionary headers, HttpContext context)
    {
        foreach (var name in _remove)
        {
            headers.Remove(name);
        }

        foreach (var addition in _add)
        {
            var value = addition.Value.Format(context);
            if (value.Length == 0 && !addition.KeepEmpty)
            {
                continue;
            }

            switch (addition.Action)
            {
                case AppendAction.AppendIfExistsOrAdd:
                    headers[addition.Name] = headers.TryGetValue(addition.Name, out var existing) ? StringValues.Concat(existing, value) : new StringValues(value);
                    break;
                case AppendAction.AddIfAbsent:
                    if (!headers.ContainsKey(addition.Name))
                    {
                        headers[addition.Name] = value;
                    }

                    break;
                case AppendAction.OverwriteIfExists:
                    if (headers.ContainsKey(addition.Name))
                    {
                        headers[addition.Name] = value;
                    }

                    break;
                default:
                    headers[addition.Name] = value;
                    break;
            }
        }
    }

    private static void RequireModifiable(string name, string where, string field)
    {
        if (name.Length == 0)
        {
            throw new ProxyConfigException($"{where}: {field}: header name is empty");
        }

        if (name.StartsWith(':') || name.Equals("host", StringComparison.OrdinalIgnoreCase))
        {
            throw new ProxyConfigException($"{where}: {field}: \"{name}\": pseudo-headers and host may not be modified");
        }
    }

    private sealed record Addition(string Name, HeaderValueFormatter Value, AppendAction Action, bool KeepEmpty);
}
