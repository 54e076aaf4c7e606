using Meshwork.Pilot.Generators;

namespace Meshwork.Meshd.Discovery;

/// <summary>The xDS generators meshd serves, one per type.</summary>
public static class Generators
{
    public static void Register(IServiceCollection services)
    {
        _ = services;
    }
}
