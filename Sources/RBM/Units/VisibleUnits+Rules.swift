extension VisibleUnits.Kind {
    /// What units of this kind ask of the data section (the rule book's unit-type part, beside
    /// `TrainerConfiguration.problems`): their parameter set and in range, no other kind's
    /// parameter set, no binarization for units that read values, no standardisation unless
    /// they have a density.
    /// `parameters` holds the data section's value of every kind's parameter key (0: unset),
    /// `binarizes` is data.binarization ≠ none, `standardizeForced` data.standardize: yes.
    public func dataProblems(parameters: [String: Int], binarizes: Bool, standardizeForced: Bool) -> [SettingProblem] {
        var problems: [SettingProblem] = []
        let own: VisibleUnitParameter? = parameter
        if let own {
            let value = parameters[own.configKey] ?? 0
            if !own.range.contains(value) {
                problems.append(SettingProblem(["data.\(own.configKey)", "model.visible"],
                                               "\(rawValue) visible units need data.\(own.configKey), \(own.meaning) (\(own.range.lowerBound) to \(own.range.upperBound))"))
            }
        }
        for other in VisibleUnits.registered {
            guard let key = other.parameter?.configKey, key != own?.configKey, (parameters[key] ?? 0) != 0 else { continue }
            problems.append(SettingProblem(["data.\(key)", "model.visible"],
                                           "data.\(key) is for \(other.name) visible units (model.visible: \(other.name))"))
        }
        if binarizes, let reason = unitType.refusesBinarization {
            problems.append(SettingProblem(["data.binarization", "model.visible"], reason + ": set data.binarization: none"))
        }
        // Standardised values leave [0, 1] and are no codes or counts: every split would then
        // fail the value check, blamed on the data instead of this key.
        if standardizeForced && !VisibleUnits(kind: self, parameter: 0).hasDensity {
            problems.append(SettingProblem(["data.standardize", "model.visible"],
                                           "standardised data are for Gaussian visible units (model.visible: gaussian); \(rawValue) units read the values as given: set data.standardize: auto or no"))
        }
        return problems
    }
}
