using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Clients;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Checks a service's configuration once, before anything reads it, and reports every error together: an operator
/// fixes a deployment in one go, from one message, instead of one restart and one stack trace per mistake.
/// </summary>
public static partial class ConfigurationCheckExtensions
{
    /// <summary>
    /// Validates every options type registered with <c>ValidateOnStart</c> and every client's connection string.
    /// When something is wrong, writes all of it to standard error as one message, without a stack trace.
    /// </summary>
    /// <returns>False when the service must not start; the caller then exits with code 1.</returns>
    /// <remarks>Call it right after <c>Build()</c>, before the pipeline or any endpoint reads an option.</remarks>
    public static bool ValidateConfiguration(this IHost host, TextWriter? errorOutput = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var errors = FindConfigurationErrors(host.Services);
        if (errors.Count == 0)
        {
            return true;
        }

        var output = errorOutput ?? Console.Error;
        var application = host.Services.GetService<IHostEnvironment>()?.ApplicationName ?? "The service";
        output.WriteLine($"{application} cannot start: its configuration has {errors.Count} error(s).");
        foreach (var error in errors)
        {
            output.WriteLine($"  - {error}");
        }

        output.Flush();
        return false;
    }

    /// <summary>Every configuration error found, each a sentence that names a setting, never a secret value.</summary>
    private static List<string> FindConfigurationErrors(IServiceProvider services)
    {
        var errors = new List<string>();

        try
        {
            // The host runs this same validator when it starts; running it first is what lets us add the
            // connection strings to its findings instead of stopping at whichever fails first.
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException exception)
        {
            errors.AddRange(exception.Failures);
        }
        catch (AggregateException exception)
        {
            errors.AddRange(exception.InnerExceptions.SelectMany(inner =>
                inner is OptionsValidationException validation ? validation.Failures : [Describe(inner)]));
        }
        catch (InvalidOperationException exception)
        {
            errors.Add(Describe(exception));
        }

        if (services.GetService<ConnectionStringCheck>() is { } connectionStrings)
        {
            try
            {
                errors.AddRange(connectionStrings.Problems);
            }
            catch (InvalidOperationException exception)
            {
                errors.Add(Describe(exception));
            }
        }

        return errors;
    }

    // The binder says "Failed to convert configuration value '<value>' at '<key>' to type '<type>'.": the value
    // stays out, since a secret pasted under the wrong key would otherwise land in the output.
    private static string Describe(Exception exception) =>
        FailedConversion().Match(exception.Message) is { Success: true } match
            ? $"Configuration value at '{match.Groups["key"].Value}' is not a valid {match.Groups["type"].Value}."
            : exception.Message;

    [GeneratedRegex(@"^Failed to convert configuration value .* at '(?<key>[^']+)' to type '(?<type>[^']+)'\.$", RegexOptions.Singleline)]
    private static partial Regex FailedConversion();
}
