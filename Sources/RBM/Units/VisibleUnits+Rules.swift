extension VisibleUnits.Kind {
    /// What units of this kind ask of the data section (the rule book's unit-type part, beside
    /// `TrainerConfiguration.problems`): `binarizes` is data.binarization ≠ none, `categories`
    /// data.categories, `standardizeForced` data.standardize: yes.
    public func dataProblems(binarizes: Bool, categories: Int, standardizeForced: Bool) -> [SettingProblem] {
        var problems: [SettingProblem] = []
        switch self {
        case .gaussian where binarizes:
            problems.append(SettingProblem(["data.binarization", "model.visible"],
                                           "Gaussian visible units take real values: set data.binarization: none"))
        case .categorical where categories < 2:
            problems.append(SettingProblem(["data.categories", "model.visible"],
                                           "categorical visible units need data.categories, the number of states of every variable (at least 2)"))
        case .categorical where binarizes:
            problems.append(SettingProblem(["data.binarization", "model.visible"],
                                           "categorical visible units read integer codes: set data.binarization: none"))
        case .bernoulli where categories != 0, .gaussian where categories != 0:
            problems.append(SettingProblem(["data.categories", "model.visible"],
                                           "data.categories is for categorical visible units (model.visible: categorical)"))
        default:
            break
        }
        // Standardised values leave [0, 1] and are no category codes: every split would then
        // fail the value check, blamed on the data instead of this key.
        if standardizeForced && self != .gaussian {
            problems.append(SettingProblem(["data.standardize", "model.visible"],
                                           "standardised data are for Gaussian visible units (model.visible: gaussian); \(rawValue) units read the values as given: set data.standardize: auto or no"))
        }
        return problems
    }
}
